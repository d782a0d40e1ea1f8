/**
 * Standalone emulator:
 *   npx tsx sandbox/emulator/main.ts --port 8080 [--challtestsrv http://127.0.0.1:8055]
 *     [--credentials-out FILE] [--zone example.com]... [--load-balancer cn-hangzhou]... [--quota 100]
 *     [--fc-port N] [--function NAME=BUNDLE.js]... [--http-trigger NAME[:anonymous]]... [--dns-propagation-delay MS]
 *
 * `--function` registers a bundled FC handler (e.g. slb-cert-rotator=dist/rotate/index.js) on the Function Compute
 * endpoint; `--http-trigger` puts an HTTP trigger in front of it (signed, `authType: function`, unless `:anonymous`).
 *
 * Prints the endpoint and the AccessKeyId. The secret goes only to --credentials-out (mode 0600), never to stdout:
 * terminal scrollback and CI logs outlive the process.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      challtestsrv: { type: 'string' },
      'credentials-out': { type: 'string' },
      zone: { type: 'string', multiple: true },
      'load-balancer': { type: 'string', multiple: true },
      quota: { type: 'string' },
      'fc-port': { type: 'string', default: '0' },
      function: { type: 'string', multiple: true },
      'http-trigger': { type: 'string', multiple: true },
      'dns-propagation-delay': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: main.ts [--port N] [--challtestsrv URL] [--credentials-out FILE] [--zone NAME]... ' +
        '[--load-balancer REGION]... [--quota N] [--fc-port N] [--function NAME=BUNDLE]... ' +
        '[--http-trigger NAME[:anonymous]]... [--dns-propagation-delay MS]\n',
    );
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
  const quota = values.quota === undefined ? undefined : Number(values.quota);
  if (quota !== undefined && (!Number.isInteger(quota) || quota < 0))
    throw new Error(`invalid --quota ${values.quota}`);

  const dnsDelay = Number(values['dns-propagation-delay']);
  if (!Number.isInteger(dnsDelay) || dnsDelay < 0)
    throw new Error(`invalid --dns-propagation-delay ${values['dns-propagation-delay']}`);
  const fcPort = Number(values['fc-port']);
  if (!Number.isInteger(fcPort) || fcPort < 0 || fcPort > 65535)
    throw new Error(`invalid --fc-port ${values['fc-port']}`);
  const functions = (values.function ?? []).map((f) => {
    const eq = f.indexOf('=');
    if (eq <= 0 || eq === f.length - 1) throw new Error(`invalid --function ${f}: expected NAME=BUNDLE.js`);
    return { name: f.slice(0, eq), bundle: resolve(f.slice(eq + 1)) };
  });

  const emu = await startEmulator({
    port,
    fcPort,
    dnsPropagationDelayMs: dnsDelay,
    ...(values.challtestsrv ? { challtestsrvUrl: values.challtestsrv } : {}),
    ...(quota === undefined ? {} : { certificateQuota: quota }),
  });
  for (const zone of values.zone ?? []) emu.alidns.addZone(zone);
  for (const f of functions) emu.fc.registerFunction({ name: f.name, code: { bundle: f.bundle }, timeout: 900 });
  const triggers = [];
  for (const t of values['http-trigger'] ?? []) {
    const [name = '', mode] = t.split(':');
    if (mode !== undefined && mode !== 'anonymous' && mode !== 'function')
      throw new Error(`invalid --http-trigger ${t}`);
    const trigger = await emu.fc.startHttpTrigger(name, { authType: mode === 'anonymous' ? 'anonymous' : 'function' });
    triggers.push(`httpTrigger   ${name} ${trigger.authType} ${trigger.url}`);
  }
  const lbs = (values['load-balancer'] ?? []).map((region) => ({ region, ...emu.slb.addLoadBalancer(region) }));

  if (values['credentials-out']) {
    writeFileSync(values['credentials-out'], `${JSON.stringify(emu.credentials, null, 2)}\n`, { mode: 0o600 });
  }
  const lines = [
    `endpoint      ${emu.endpoint}`,
    `fc            ${emu.fc.endpoint} (account ${emu.fc.accountId})`,
    `accessKeyId   ${emu.credentials.accessKeyId}`,
    values['credentials-out']
      ? `secret        written to ${values['credentials-out']}`
      : 'secret        not shown (pass --credentials-out FILE to get it)',
    ...(values.challtestsrv ? [`challtestsrv  ${values.challtestsrv}`] : []),
    ...emu.alidns.zones().map((z) => `zone          ${z}`),
    ...functions.map((f) => `function      ${f.name} ${f.bundle}`),
    ...triggers,
    ...lbs.map((lb) => `loadBalancer  ${lb.region} ${lb.loadBalancerId} ${lb.address}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal while closing means "now": do not wait for lingering connections.
    if (stopping) process.exit(1);
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
