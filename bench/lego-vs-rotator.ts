/**
 * The usual alternative: one ACME client process per certificate. lego (Debian's `lego`) issues N certificates in N
 * processes, at most `--concurrency` at a time, each with its own account, writing its TXT records through its
 * `exec` DNS provider straight into challtestsrv with every wait turned off. The rotator rotates N due certificates
 * (upload, deploy and wire check included) in one run. Ratio: lego's wall time ÷ the rotator's.
 *
 * `npm run bench -- lego-vs-rotator [--size 20] [--concurrency 10] [--regions 1]`
 */
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { AcmeTestCa } from '../sandbox/world.js';
import { startBenchWorld } from './lib/bench-world.js';
import { type Benchmark, positiveInt } from './lib/context.js';
import { seedFleetConfig } from './lib/fleet-config.js';
import { ms, ratioLine } from './lib/report.js';
import { bundleRotatorChild, expectOutcome, stageSummary } from './lib/spawn-rotator.js';
import { FLEET_REGIONS } from './nothing-due.js';

const execFileAsync = promisify(execFile);
export const LEGO_INSTALL = 'sudo apt-get install -y lego';

async function which(command: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('sh', ['-c', `command -v ${command}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * lego's exec provider calls `<script> present|cleanup <fqdn> <value>`. curl keeps the hook as cheap as a DNS API
 * call; without curl a Node one-liner does the same, slower to start (which flatters the rotator: said in the output).
 */
async function writeExecHook(dir: string, challtestsrvUrl: string): Promise<{ path: string; via: string }> {
  const path = join(dir, 'challtestsrv-hook.sh');
  const curl = await which('curl');
  const post = curl
    ? (endpoint: string, body: string) => `curl -sSf -X POST -d "${body}" '${challtestsrvUrl}/${endpoint}' >/dev/null`
    : (endpoint: string, body: string) =>
        `'${process.execPath}' -e 'fetch(process.argv[1],{method:"POST",body:process.argv[2]}).then(r=>process.exit(r.ok?0:1))' '${challtestsrvUrl}/${endpoint}' "${body}"`;
  await writeFile(
    path,
    [
      '#!/bin/sh',
      'set -e',
      'case "$1" in',
      `  present) ${post('set-txt', '{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}')} ;;`,
      `  cleanup) ${post('clear-txt', '{\\"host\\":\\"$2\\"}')} ;;`,
      '  *) echo "unknown action $1" >&2; exit 1 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  await chmod(path, 0o700);
  return { path, via: curl ? 'curl' : 'node (curl not installed)' };
}

function runLego(lego: string, ca: AcmeTestCa, dir: string, hook: string, domain: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      '--accept-tos',
      '--email',
      'ops@example.com',
      '--server',
      ca.directoryUrl,
      '--path',
      dir,
      '--key-type',
      'rsa2048',
      '--dns',
      'exec',
      '--dns.disable-cp',
      '--dns.resolvers',
      ca.dnsServer,
      '--domains',
      domain,
      'run',
    ];
    const child = spawn(lego, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        EXEC_PATH: hook,
        EXEC_POLLING_INTERVAL: '0',
        EXEC_SEQUENCE_INTERVAL: '0',
        // lego trusts Pebble's HTTPS certificate through this variable, not NODE_EXTRA_CA_CERTS.
        LEGO_CA_CERTIFICATES: process.env.NODE_EXTRA_CA_CERTS ?? '',
      },
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`lego for ${domain} exited with ${code}: ${err.trim().slice(-1500)}`)),
    );
  });
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export const legoVsRotator: Benchmark = async (args, { ca, write }) => {
  const { values } = parseArgs({
    args,
    options: { size: { type: 'string' }, concurrency: { type: 'string' }, regions: { type: 'string' } },
  });
  const size = positiveInt('size', values.size, 20);
  const concurrency = positiveInt('concurrency', values.concurrency, 10);
  const regions = FLEET_REGIONS.slice(0, positiveInt('regions', values.regions, 1));
  const lego = await which('lego');
  if (!lego) {
    write(`lego-vs-rotator: SKIPPED: lego is not installed; install it with: ${LEGO_INSTALL}`);
    return;
  }

  const dir = await mkdtemp(join(tmpdir(), 'bench-lego-'));
  const world = await startBenchWorld(ca, { regions });
  const child = await bundleRotatorChild();
  try {
    const hook = await writeExecHook(dir, ca.challtestsrvUrl);
    const names = Array.from({ length: size }, (_, i) => `l${i}.${world.zone}`);
    const legoStart = performance.now();
    await pool(names, concurrency, (domain) => runLego(lego, ca, join(dir, domain), hook.path, domain));
    const legoMs = performance.now() - legoStart;

    const { yaml } = await seedFleetConfig(world, { size, regions });
    const run = await child.run(yaml, world.rotatorEnv);
    write(
      `lego-vs-rotator: ${size} certificate(s), RSA-2048. lego: ${size} processes at concurrency ${concurrency} (exec hook via ${hook.via}): ${ms(legoMs)}. rotator, one run: ${ms(run.processMs)} (process start included; the run itself ${ms(run.runMs)})`,
    );
    write(`  time per stage, summed over certificates: ${stageSummary(run)}`);
    write(`  outcomes: ${JSON.stringify(run.counts)}`);
    expectOutcome(run, 'rotated');
    write(
      ratioLine('lego-vs-rotator', legoMs / run.processMs, { op: '≥', value: 8 }, 'lego wall time ÷ rotator wall time'),
    );
  } finally {
    await child.dispose();
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
};
