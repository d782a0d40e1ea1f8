/**
 * `npm start`: the main job on a local sandbox. Starts the test CA (Debian's pebble + pebble-challtestsrv), the
 * emulator of SLB and Alidns on loopback and a local alert/heartbeat receiver, seeds a load balancer whose HTTPS
 * listener serves a certificate that expires in a few days, prints the CLI's plan, runs the built timer handler
 * exactly as Function Compute calls it, prints the outcome, the status table, where the status page was written and
 * what the receiver got, and stops everything it started.
 *
 * A second certificate, `legacy`, is seeded for a zone the emulated Alidns does not host: it cannot be renewed and
 * expires within the warning days, so the run sends an alert and a failure heartbeat, as a real failure would.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatPlan, formatStatus } from '../cli/format-plan.js';
import type { RunPlan } from '../shared/plan/types.js';
import type { StatusReport } from '../shared/status/types.js';
import { describeDelivery, type NotifySink, SINK_SETTINGS, sinkEnvironment, startNotifySink } from './notify-sink.js';
import { matchesFingerprint } from '../shared/certs/fingerprint.js';
import { TlsWireProbe } from '../shared/adapters/tls/tls-wire-probe.js';
import { ensurePebbleInstalled, type PebbleSandbox, startPebble } from './pebble.js';
import { type SandboxWorld, sandboxConfigYaml, seedListener, servedBy, startWorld } from './world.js';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'dist', 'rotate', 'index.js');
const cliBundle = join(root, 'dist', 'cli', 'index.cjs');
/** Kept after the run for people to open (gitignored). */
const pageFile = join(root, '.sandbox', 'status.html');
const runFile = promisify(execFile);
const REGION = 'cn-hangzhou';
const ZONE = 'example.com';
const DOMAINS = ['example.com', '*.example.com'];
const LEGACY_DOMAINS = ['legacy.example.org'];
const say = (line: string) => process.stderr.write(`sandbox: ${line}\n`);

async function main(): Promise<number> {
  if (!existsSync(bundle) || !existsSync(cliBundle)) {
    say(
      `${existsSync(bundle) ? cliBundle : bundle} is missing: run \`npm run build\` first (npm start does it for you)`,
    );
    return 2;
  }
  await ensurePebbleInstalled();
  const work = await mkdtemp(join(tmpdir(), 'rotator-sandbox-'));
  let pebble: PebbleSandbox | undefined;
  let world: SandboxWorld | undefined;
  let sink: NotifySink | undefined;
  try {
    pebble = await startPebble();
    say(`test CA ${pebble.directoryUrl} (DNS ${pebble.dnsServer})`);
    world = await startWorld(pebble, [ZONE]);
    say(`SLB + Alidns emulator ${world.emulator.endpoint}`);

    const seeded = await seedListener(world, { regionId: REGION, domains: DOMAINS, days: 3 });
    const before = await servedLeaf(world, seeded);
    say(`seeded ${seeded.loadBalancerId}:${seeded.port} serving ${seeded.serverCertificateId} (leaf sha1 ${before})`);
    const legacy = await seedListener(world, { regionId: REGION, domains: LEGACY_DOMAINS, days: 5 });
    say(
      `seeded ${legacy.loadBalancerId}:${legacy.port} for ${LEGACY_DOMAINS.join(', ')}, expiring in 5 days: its zone ` +
        'is not hosted in the emulated Alidns, so it cannot be renewed (this is the alert you will see)',
    );
    sink = await startNotifySink();
    const notifyEnv = sinkEnvironment(sink);

    const configFile = join(work, 'rotator.yaml');
    await writeFile(
      configFile,
      sandboxConfigYaml(
        pebble,
        [servedBy('shop', DOMAINS, seeded), servedBy('legacy', LEGACY_DOMAINS, legacy)],
        {},
        {},
        SINK_SETTINGS,
      ),
    );
    const key = world.emulator.createAccessKey();
    const cliEnv = {
      ...process.env,
      ...world.endpointEnv,
      ...notifyEnv,
      ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.accessKeySecret,
      NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
    };
    say(`the plan (slb-cert-rotator plan --config ${configFile}):`);
    const plan = await cliJson<RunPlan>(['plan', '--json', '--config', configFile], cliEnv);
    process.stderr.write(indent(formatPlan(plan)));
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
      ...notifyEnv,
      ROTATOR_CONFIG_FILE: configFile,
      NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
    });
    const outcome = lines.find((l) => l.event === 'rotation.outcome' && l.certificate === 'shop');
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

    await mkdir(join(root, '.sandbox'), { recursive: true });
    say(`status (slb-cert-rotator status --config ${configFile} --html ${pageFile}):`);
    const status = await cliJson<StatusReport>(
      ['status', '--json', '--config', configFile, '--html', pageFile],
      cliEnv,
    );
    process.stderr.write(indent(`${formatStatus(status)}\n`));
    say(`status page written to ${pageFile}`);

    say(`the local receiver got ${sink.deliveries.length} request(s):`);
    for (const d of sink.deliveries) process.stderr.write(indent(`${describeDelivery(d)}\n`));
    // The run had a failure (legacy), so both should have arrived; say so plainly rather than let silence pass.
    for (const kind of ['alert', 'heartbeat'] as const) {
      if (!sink.deliveries.some((d) => d.kind === kind)) say(`WARNING: no ${kind} arrived from the function's run`);
    }
    return outcome.outcome === 'rotated' && served ? 0 : 1;
  } finally {
    await sink?.close();
    await world?.close();
    await pebble?.stop();
    await rm(work, { recursive: true, force: true });
    say('stopped everything it started');
  }
}

type Line = { event?: string; certificate?: string; outcome?: string; previous?: Ref | null; current?: Ref | null };
type Ref = { serverCertificateId: string; fingerprint: string; expireTimeStamp: number };

function fmt(ref: Ref | null | undefined): string {
  return ref
    ? `${ref.serverCertificateId} (${ref.fingerprint}, expires ${new Date(ref.expireTimeStamp).toISOString()})`
    : 'none';
}

const indent = (text: string) => text.replace(/^(?=.)/gm, '    ');

/** The built CLI, as a user runs it, with `--json`: parsed here so the terminal formatting is the CLI's own. */
async function cliJson<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  try {
    const { stdout } = await runFile(process.execPath, [cliBundle, ...args], { env });
    return JSON.parse(stdout) as T;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    // `plan` exits 1 when a certificate cannot be read, still printing the plan.
    if (e.stdout) return JSON.parse(e.stdout) as T;
    throw new Error(`slb-cert-rotator ${args[0]} exited with ${e.code}: ${e.stderr ?? ''}`);
  }
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
