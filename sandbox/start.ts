/**
 * `npm start`: the main job on a local sandbox. Starts the test CA (Debian's pebble + pebble-challtestsrv) and the
 * emulator of SLB and Alidns on loopback, seeds a load balancer whose HTTPS listener serves a certificate that
 * expires in a few days, runs the built timer handler exactly as Function Compute calls it, prints the outcome, and
 * stops everything it started.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesFingerprint } from '../shared/certs/fingerprint.js';
import { TlsWireProbe } from '../shared/adapters/tls/tls-wire-probe.js';
import { ensurePebbleInstalled, type PebbleSandbox, startPebble } from './pebble.js';
import { type SandboxWorld, sandboxConfigYaml, seedListener, startWorld } from './world.js';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'rotate', 'index.js');
const REGION = 'cn-hangzhou';
const ZONE = 'example.com';
const DOMAINS = ['example.com', '*.example.com'];
const say = (line: string) => process.stderr.write(`sandbox: ${line}\n`);

async function main(): Promise<number> {
  if (!existsSync(bundle)) {
    say(`${bundle} is missing: run \`npm run build\` first (npm start does it for you)`);
    return 2;
  }
  await ensurePebbleInstalled();
  const work = await mkdtemp(join(tmpdir(), 'rotator-sandbox-'));
  let pebble: PebbleSandbox | undefined;
  let world: SandboxWorld | undefined;
  try {
    pebble = await startPebble();
    say(`test CA ${pebble.directoryUrl} (DNS ${pebble.dnsServer})`);
    world = await startWorld(pebble, [ZONE]);
    say(`SLB + Alidns emulator ${world.emulator.endpoint}`);

    const seeded = await seedListener(world, { regionId: REGION, domains: DOMAINS, days: 3 });
    const before = await servedLeaf(world, seeded);
    say(`seeded ${seeded.loadBalancerId}:${seeded.port} serving ${seeded.serverCertificateId} (leaf sha1 ${before})`);

    const configFile = join(work, 'rotator.yaml');
    await writeFile(
      configFile,
      sandboxConfigYaml(pebble, [
        {
          name: 'shop',
          domains: DOMAINS,
          region: REGION,
          listeners: [{ loadBalancerId: seeded.loadBalancerId, port: seeded.port }],
        },
      ]),
    );
    const eventFile = join(work, 'event.json');
    await writeFile(
      eventFile,
      JSON.stringify({
        triggerTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        triggerName: 'daily',
        payload: '{"force":false}',
      }),
    );
    // What FC puts in context.credentials: the role's temporary STS credentials.
    const contextFile = join(work, 'context.json');
    await writeFile(
      contextFile,
      JSON.stringify({
        region: REGION,
        accountId: '1234567890123456',
        functionName: 'slb-cert-rotator',
        timeout: 900,
        credentials: world.emulator.issueStsCredentials(),
      }),
      { mode: 0o600 },
    );

    say('invoking the timer handler (dist/rotate/index.js) as Function Compute would');
    const lines = await invoke([join(root, 'sandbox', 'fc-local-runtime.cjs'), bundle, eventFile, contextFile], {
      ...process.env,
      ...world.endpointEnv,
      ROTATOR_CONFIG_FILE: configFile,
      NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
    });
    const outcome = lines.find((l) => l.event === 'rotation.outcome');
    if (!outcome) {
      say('no outcome record was printed');
      return 1;
    }
    const after = await servedLeaf(world, seeded);
    say(`outcome: ${outcome.outcome}; previous ${fmt(outcome.previous)} -> current ${fmt(outcome.current)}`);
    const served = outcome.current && matchesFingerprint(outcome.current.fingerprint, { sha1: after, sha256: '' });
    say(
      `the listener now presents leaf sha1 ${after}${served ? ': the new certificate' : ', NOT the new certificate'}`,
    );
    return outcome.outcome === 'rotated' && served ? 0 : 1;
  } finally {
    await world?.close();
    await pebble?.stop();
    await rm(work, { recursive: true, force: true });
    say('stopped everything it started');
  }
}

type Line = { event?: string; outcome?: string; previous?: Ref | null; current?: Ref | null };
type Ref = { serverCertificateId: string; fingerprint: string; expireTimeStamp: number };

function fmt(ref: Ref | null | undefined): string {
  return ref
    ? `${ref.serverCertificateId} (${ref.fingerprint}, expires ${new Date(ref.expireTimeStamp).toISOString()})`
    : 'none';
}

/** Runs the local FC runtime, passing its stdout through (the JSON lines FC would ship to Log Service). */
function invoke(args: string[], env: NodeJS.ProcessEnv): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Line[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      buffer += chunk.toString('utf8');
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          lines.push(JSON.parse(text));
        } catch {
          // Not every line is JSON (a crash trace): it was shown above.
        }
        nl = buffer.indexOf('\n');
      }
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(lines) : reject(new Error(`the function process exited with ${code}`)),
    );
  });
}

/** What the listener's TLS server actually presents, the way a browser would see it (sha1 of the leaf). */
async function servedLeaf(
  world: SandboxWorld,
  l: { regionId: string; loadBalancerId: string; port: number },
): Promise<string> {
  const ep = world.emulator.slb.tlsEndpoint(l.regionId, l.loadBalancerId, l.port);
  const result = await new TlsWireProbe().presentedLeaf({ ...ep, servername: 'www.example.com' });
  if (result.kind === 'unreachable') throw new Error(`the listener cannot be reached: ${result.reason}`);
  return result.sha1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
