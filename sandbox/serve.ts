/**
 * `npm run sandbox`: the sandbox world kept up for trying the CLI by hand. Starts the test CA and the emulator, seeds
 * a load balancer whose HTTPS listener serves a certificate that expires in 3 days, writes a configuration for it,
 * prints the environment and the commands to point the CLI at it, and stays up until SIGINT/SIGTERM, when it stops
 * everything it started and removes its directory.
 *
 * The access key secret is never printed: scrollback and CI logs outlive the sandbox. The printed export line reads
 * it from a file (mode 0600) in the sandbox's directory instead.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePebbleInstalled, type PebbleSandbox, startPebble } from './pebble.js';
import { type SandboxWorld, sandboxConfigYaml, seedListener, startWorld } from './world.js';

const REGION = 'cn-hangzhou';
const ZONE = 'example.com';
const DOMAINS = ['example.com', '*.example.com'];
const say = (line: string) => process.stderr.write(`sandbox: ${line}\n`);

/** Single-quoted for sh, so a temp path with spaces or `$` still pastes safely. */
const shq = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  await ensurePebbleInstalled();
  const work = await mkdtemp(join(tmpdir(), 'rotator-sandbox-'));
  let pebble: PebbleSandbox | undefined;
  let world: SandboxWorld | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await world?.close().catch((err: unknown) => say(`stopping the emulator: ${String(err)}`));
      await pebble?.stop().catch((err: unknown) => say(`stopping the test CA: ${String(err)}`));
      await rm(work, { recursive: true, force: true });
      say(`stopped everything it started and removed ${work}`);
    })());
  // Installed before anything starts, so a signal during start-up still cleans up what is already running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(0));
    });
  }
  try {
    pebble = await startPebble({ workDir: work });
    world = await startWorld(pebble, [ZONE]);
    const seeded = await seedListener(world, { regionId: REGION, domains: DOMAINS, days: 3 });
    const key = world.emulator.createAccessKey();
    const secretFile = join(work, 'access-key-secret');
    await writeFile(secretFile, key.accessKeySecret, { mode: 0o600 });
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
    const tls = world.emulator.slb.tlsEndpoint(REGION, seeded.loadBalancerId, seeded.port);

    say(`test CA ${pebble.directoryUrl} (DNS ${pebble.dnsServer})`);
    say(`SLB + Alidns emulator ${world.emulator.endpoint}; Function Compute API ${world.emulator.fc.endpoint}`);
    say(
      `seeded ${seeded.loadBalancerId}:${seeded.port} (TLS on ${tls.host}:${tls.port}) serving ` +
        `${seeded.serverCertificateId}, which expires in 3 days`,
    );
    const config = shq(configFile);
    process.stdout.write(
      [
        '# Paste into another shell (NODE_EXTRA_CA_CERTS must be set before node starts):',
        `export ALIBABA_CLOUD_ACCESS_KEY_ID=${shq(key.accessKeyId)}`,
        `export ALIBABA_CLOUD_ACCESS_KEY_SECRET="$(cat ${shq(secretFile)})"`,
        ...Object.entries(world.endpointEnv).map(([name, value]) => `export ${name}=${shq(value)}`),
        `export NODE_EXTRA_CA_CERTS=${shq(pebble.tlsCaPath)}`,
        '# Then:',
        `npx slb-cert-rotator plan --config ${config}`,
        `npx slb-cert-rotator run --config ${config}`,
        `npx slb-cert-rotator status --config ${config}`,
        `npx slb-cert-rotator status --config ${config} --html page.html`,
        '',
      ].join('\n'),
    );
    say(`up; Ctrl-C stops it and removes ${work}`);
  } catch (err) {
    await stop();
    throw err;
  }
}

main().catch((err: unknown) => {
  say(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
