/**
 * `npm run sandbox` as a newcomer uses it: start it, paste the printed export lines into a shell, run the printed
 * CLI command, stop it with SIGTERM. The sandbox starts its own Pebble, so this test does not use the runner's.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBundles } from '../support/bundles.js';
import type { BuildResult } from '../../scripts/build.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const outDir = join(tmpdir(), `rotator-sandbox-cmd-${process.pid}`);
let built: BuildResult;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';

beforeAll(async () => {
  built = builtBundles();
  await mkdir(outDir, { recursive: true });
}, 60_000);
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(outDir, { recursive: true, force: true });
});

function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`)),
      timeoutMs,
    );
    const check = () => {
      const m = stdout.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child?.stdout?.on('data', check);
    child?.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited early; stderr:\n${stderr}`));
    });
    check();
  });
}

/** Every process whose command line mentions `text` (the sandbox's directory is in Pebble's arguments). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function refused(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', timeout: 2000 }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', () => resolve(true));
    req.end();
  });
}

describe('npm run sandbox', () => {
  it('prints exports and commands the CLI works with, then stops everything on SIGTERM', async () => {
    // The bundles this test run built (`npm run sandbox` builds dist/ first).
    const dist = dirname(dirname(built.functions.find((f) => f.name === 'rotate')?.file ?? ''));
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'sandbox', 'serve.ts'), '--dist', dist], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const [, configArg] = await waitFor(/^npx slb-cert-rotator status --config '([^']+)' --html page\.html$/m, 60_000);
    const configFile = configArg ?? '';
    const work = dirname(configFile);
    expect(existsSync(configFile)).toBe(true);

    const exports = stdout.split('\n').filter((l) => l.startsWith('export '));
    const names = exports.map((l) => l.slice('export '.length).split('=')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'ALIBABA_CLOUD_ACCESS_KEY_ID',
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
        'ROTATOR_SLB_ENDPOINT',
        'ROTATOR_ALIDNS_ENDPOINT',
        'ROTATOR_DNS_SERVERS',
        'NODE_EXTRA_CA_CERTS',
        'ROTATOR_SANDBOX_ALERT_URL',
        'ROTATOR_SANDBOX_ALERT_SECRET',
        'ROTATOR_SANDBOX_HEARTBEAT_URL',
        'ROTATOR_OPERATOR_TOKEN',
      ]),
    );
    for (const cmd of ['plan', 'run', 'status']) {
      expect(stdout).toContain(`npx slb-cert-rotator ${cmd} --config '${configFile}'\n`);
    }
    for (const file of ['access-key-secret', 'alert-secret', 'alert-url', 'heartbeat-url', 'operator-token']) {
      const secret = (await readFile(join(work, file), 'utf8')).trim();
      expect(secret.length, file).toBeGreaterThan(10);
      expect(stdout + stderr, file).not.toContain(secret);
    }

    // Exactly what a user pastes: the export lines in a shell, then the CLI, with nothing else from this process.
    const script = `${exports.join('\n')}\nexec "${process.execPath}" "${built.cli}" plan --json --config '${configFile}'`;
    const { stdout: planOut } = await run('bash', ['-c', script], {
      env: { PATH: process.env.PATH ?? '' },
      timeout: 60_000,
    });
    const plan = JSON.parse(planOut);
    expect(plan.failures).toEqual([]);
    expect(plan.certificates).toHaveLength(1);
    expect(plan.certificates[0]).toMatchObject({ certificate: 'shop', action: 'issue', code: 'due.window' });
    expect(plan.certificates[0].reason).toMatch(/^3\.0 days left/);

    // The operator function behind its HTTP trigger answers the printed trigger command, with the pasted token.
    const [triggerLine] = stdout.match(/^npx slb-cert-rotator trigger --url '[^']+' --token --route status$/m) ?? [];
    expect(triggerLine).toBeDefined();
    const triggerArgs = (triggerLine ?? '').slice('npx slb-cert-rotator '.length);
    const { stdout: statusOut } = await run(
      'bash',
      ['-c', `${exports.join('\n')}\nexec "${process.execPath}" "${built.cli}" ${triggerArgs}`],
      { env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
    );
    expect(JSON.parse(statusOut)).toMatchObject({ event: 'rotation.status' });

    const slbEndpoint = (exports.find((l) => l.startsWith('export ROTATOR_SLB_ENDPOINT=')) ?? '').match(
      /'([^']+)'/,
    )?.[1];
    expect(slbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await processesMentioning(work)).not.toEqual([]);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain(`removed ${work}`);
    expect(existsSync(work)).toBe(false);
    expect(await processesMentioning(work)).toEqual([]);
    expect(await refused(slbEndpoint ?? '')).toBe(true);
  }, 150_000);
});
