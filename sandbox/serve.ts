/**
 * `npm run sandbox`: the sandbox world kept up for trying the CLI by hand. Starts the test CA and the emulator, seeds
 * a load balancer whose HTTPS listener serves a certificate that expires in 3 days, writes a configuration for it,
 * prints the environment and the commands to point the CLI at it, and stays up until SIGINT/SIGTERM, when it stops
 * everything it started and removes its directory.
 *
 * It also runs the built functions in the emulated Function Compute: the rotation function, and the operator function
 * behind an HTTP trigger (authType anonymous, a bearer token of its own), so the operator API can be tried with curl
 * or `slb-cert-rotator trigger`. The configuration sends alerts and the heartbeat to a local receiver, which prints
 * each delivery as it arrives.
 *
 * Secrets are never printed: scrollback and CI logs outlive the sandbox. The printed export lines read the access key
 * secret and the operator token from files (mode 0600) in the sandbox's directory instead.
 *
 * `--dist DIR` takes the bundles from DIR instead of `dist/` (the tests build theirs elsewhere).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeDelivery, type NotifySink, SINK_SETTINGS, sinkEnvironment, startNotifySink } from './notify-sink.js';
import { ensurePebbleInstalled, type PebbleSandbox, startPebble } from './pebble.js';
import { type SandboxWorld, sandboxConfigYaml, seedListener, servedBy, startWorld } from './world.js';

const REGION = 'cn-hangzhou';
const ZONE = 'example.com';
const DOMAINS = ['example.com', '*.example.com'];
const say = (line: string) => process.stderr.write(`sandbox: ${line}\n`);
const ROTATE = 'slb-cert-rotator';
const OPERATOR = 'slb-cert-rotator-operator';

/** Single-quoted for sh, so a temp path with spaces or `$` still pastes safely. */
const shq = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dist: { type: 'string' } } });
  const dist = values.dist ?? new URL('../dist', import.meta.url).pathname;
  const bundle = (name: string) => join(dist, name, 'index.js');
  for (const name of ['rotate', 'operator']) {
    if (!existsSync(bundle(name))) throw new Error(`${bundle(name)} is missing: run \`npm run build\` first`);
  }
  await ensurePebbleInstalled();
  const work = await mkdtemp(join(tmpdir(), 'rotator-sandbox-'));
  let pebble: PebbleSandbox | undefined;
  let world: SandboxWorld | undefined;
  let sink: NotifySink | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await world?.close().catch((err: unknown) => say(`stopping the emulator: ${String(err)}`));
      await sink?.close().catch((err: unknown) => say(`stopping the receiver: ${String(err)}`));
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
    sink = await startNotifySink({ onDelivery: (d) => say(`the receiver got: ${describeDelivery(d)}`) });
    // The receiver's URLs carry tokens, as real webhook and heartbeat URLs carry secrets: files too, never printed.
    const notifyEnv = sinkEnvironment(sink);
    // ROTATOR_SANDBOX_ALERT_URL → alert-url, and so on.
    const notifyFiles = Object.entries(notifyEnv).map(([name, value]) => ({
      name,
      value,
      file: join(work, name.replace('ROTATOR_SANDBOX_', '').toLowerCase().replaceAll('_', '-')),
    }));
    for (const { file, value } of notifyFiles) await writeFile(file, value, { mode: 0o600 });
    const token = randomBytes(24).toString('base64url');
    const tokenFile = join(work, 'operator-token');
    await writeFile(tokenFile, token, { mode: 0o600 });
    const configFile = join(work, 'rotator.yaml');
    await writeFile(configFile, sandboxConfigYaml(pebble, [servedBy('shop', DOMAINS, seeded)], {}, {}, SINK_SETTINGS));
    // The functions as Function Compute runs them, each in a process of its own that trusts the test CA.
    const functionEnv = {
      ...world.endpointEnv,
      ...notifyEnv,
      ROTATOR_CONFIG_FILE: configFile,
      NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
    };
    const fc = world.emulator.fc;
    fc.registerFunction({ name: ROTATE, code: { bundle: bundle('rotate'), env: functionEnv }, timeout: 900 });
    fc.registerFunction({
      name: OPERATOR,
      code: {
        bundle: bundle('operator'),
        env: {
          ...functionEnv,
          ROTATOR_FC_ENDPOINT: fc.endpoint,
          ROTATOR_ROTATE_FUNCTION: ROTATE,
          ROTATOR_OPERATOR_AUTH: 'anonymous',
          ROTATOR_OPERATOR_TOKEN: token,
        },
      },
      timeout: 120,
    });
    const operator = await fc.startHttpTrigger(OPERATOR, { authType: 'anonymous' });
    const tls = world.emulator.slb.tlsEndpoint(REGION, seeded.loadBalancerId, seeded.port);

    say(`test CA ${pebble.directoryUrl} (DNS ${pebble.dnsServer})`);
    say(`SLB + Alidns emulator ${world.emulator.endpoint}; Function Compute API ${world.emulator.fc.endpoint}`);
    say(`operator function ${OPERATOR} (authType anonymous) at ${operator.url}; rotation function ${ROTATE}`);
    say(`alerts and heartbeat go to the local receiver ${new URL(sink.alertUrl).origin}`);
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
        ...notifyFiles.map(({ name, file }) => `export ${name}="$(cat ${shq(file)})"`),
        `export ROTATOR_OPERATOR_TOKEN="$(cat ${shq(tokenFile)})"`,
        '# Then:',
        `npx slb-cert-rotator plan --config ${config}`,
        `npx slb-cert-rotator run --config ${config}`,
        `npx slb-cert-rotator status --config ${config}`,
        `npx slb-cert-rotator status --config ${config} --html page.html`,
        '# The operator function (authType anonymous) behind its HTTP trigger:',
        `npx slb-cert-rotator trigger --url ${shq(operator.url)} --token --route status`,
        `npx slb-cert-rotator trigger --url ${shq(operator.url)} --token --certificate shop --force`,
        `npx slb-cert-rotator status --link ${shq(operator.url)}`,
        `curl -H "Authorization: Bearer $ROTATOR_OPERATOR_TOKEN" ${shq(`${operator.url}/plan`)}`,
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
