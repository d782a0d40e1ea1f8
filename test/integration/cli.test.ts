/**
 * The command line as a user runs it: the built `slb-cert-rotator` pointed at the emulator (any implementation of the
 * SLB/Alidns contract) by the documented variables, with credentials in the standard ALIBABA_CLOUD_* variables.
 */
import { execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import type { BuildResult } from '../../scripts/build.js';
import type { CliIo } from '../../cli/io.js';
import { main } from '../../cli/main.js';
import { builtBundles } from '../support/bundles.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const run = promisify(execFile);
const REGION = 'cn-hangzhou';
const outDir = join(tmpdir(), `rotator-cli-${process.pid}`);
let h: RotationHarness;
let built: BuildResult;
let configFile: string;
let env: Record<string, string>;

async function cli(args: string[], extraEnv: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [built.cli, ...args], {
      env: { ...process.env, ...env, ...extraEnv },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  built = builtBundles();
  [h] = await Promise.all([startRotationHarness(['cli.test']), mkdir(outDir, { recursive: true })]);
  const seeded = await seedListener(h.world, { regionId: REGION, domains: ['cli.test', '*.cli.test'], days: 2 });
  configFile = join(outDir, 'rotator.yaml');
  await writeFile(
    configFile,
    sandboxConfigYaml(h.ca, [
      {
        name: 'site',
        domains: ['cli.test', '*.cli.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      },
    ]),
  );
  env = h.cliEnv();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await rm(outDir, { recursive: true, force: true });
});

describe('slb-cert-rotator', () => {
  it('run --config prints one JSON outcome line per certificate and a summary, exit 0', async () => {
    const r = await cli(['run', '--config', configFile]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event)).toEqual(['rotation.outcome', 'rotation.summary']);
    expect(lines[0]).toMatchObject({ certificate: 'site', outcome: 'rotated' });
    expect(lines[0].current.fingerprint).not.toBe(lines[0].previous.fingerprint);
    expect(r.stdout + r.stderr).not.toContain(env.ALIBABA_CLOUD_ACCESS_KEY_SECRET);
    expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);
    // stderr is a pipe here: no progress display, neither its escape codes nor its plain lines.
    expect(r.stderr.includes('\u001b[')).toBe(false);
    expect(r.stderr).not.toMatch(/^site\s+cn-hangzhou\s+(gather|issue|deploy|rotated)/m);
  });

  it('run on a terminal stderr (TERM=dumb) shows each stage of the certificate, then its outcome', async () => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (t: string) => (stdout += t), isTTY: true },
      stderr: { write: (t: string) => (stderr += t), isTTY: true, columns: 120 },
      env: { ...process.env, ...env, TERM: 'dumb' },
      signals: new EventEmitter(),
    };
    const code = await main(['run', '--config', configFile, '--force'], io);
    expect(code, stderr).toBe(0);
    const lines = stderr.split('\n').filter((l) => l.startsWith('site  cn-hangzhou  '));
    const stages = lines.map((l) => l.split(/\s{2,}/)[2]);
    expect(stages[0]).toBe('gather');
    expect(stages).toEqual(expect.arrayContaining(['issue', 'upload', 'deploy', 'verify']));
    expect(stages.indexOf('issue')).toBeLessThan(stages.indexOf('deploy'));
    expect(lines.at(-1)).toMatch(/^site {2}cn-hangzhou {2}rotated {2}\d+s$/);
    expect(stderr.includes('\u001b[')).toBe(false);
    expect(stdout).toMatch(/^CERTIFICATE +REGION +OUTCOME/);
  }, 60_000);

  it('a second run is not due', async () => {
    const r = await cli(['run', '--config', configFile, '--certificate', 'site']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0] ?? '')).toMatchObject({ outcome: 'not-due' });
  });

  it('an unknown certificate name is refused with exit 2, naming it', async () => {
    const r = await cli(['run', '--config', configFile, '--certificate', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown name\(s\) "nope"/);
  });

  it('missing credentials are refused with exit 2, naming the variables', async () => {
    const r = await cli(['run', '--config', configFile], {
      ALIBABA_CLOUD_ACCESS_KEY_ID: '',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: '',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
  });

  it('a wrong secret fails at gather with the cloud error code and does not echo the secret', async () => {
    const r = await cli(['run', '--config', configFile, '--force'], {
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong-secret-value',
    });
    expect(r.code).toBe(1);
    const outcome = JSON.parse(r.stdout.split('\n')[0] ?? '');
    expect(outcome).toMatchObject({ outcome: 'failed', stage: 'gather', errorCode: 'SignatureDoesNotMatch' });
    expect(r.stdout + r.stderr).not.toContain('wrong-secret-value');
  });

  it('validate reports an invalid file with the field and line, exit 2', async () => {
    const bad = join(outDir, 'bad.yaml');
    await writeFile(bad, (await readFile(configFile, 'utf8')).replace('port: 443', 'port: 0'));
    const r = await cli(['validate', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:\d+: certificates\[0\]\.listeners\[0\]\.port/);
  });

  it('--version of the bundle is the version in package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('an existing --out is a usage error with the command usage, not "invalid configuration"', async () => {
    const r = await cli(['account', 'create', '--config', configFile, '--out', configFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/account create: --out \S+: the file exists; an account key is never overwritten/);
    expect(r.stderr).toContain('Usage: slb-cert-rotator account create');
    expect(r.stderr).not.toMatch(/invalid configuration/);
  });

  it('SIGTERM stops the run: the certificate is reported failed (not rotated), stderr says so, exit 143', async () => {
    // Every cloud call takes a while, so the signal arrives mid-run; the first answered call shows the run started.
    const slow = h.world.emulator.faults.latency(1500);
    try {
      const before = h.world.emulator.calls.length;
      const child = spawn(process.execPath, [built.cli, 'run', '--config', configFile, '--force'], {
        env: { ...process.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      while (h.world.emulator.calls.length === before) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const code = await exited;
      expect(code, stderr).toBe(143);
      expect(stderr).toMatch(/^interrupted by SIGTERM: stopped; the next run continues where this one stopped$/m);
      const records = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(records.map((r) => r.event)).toEqual(['rotation.outcome', 'rotation.summary']);
      expect(records[0]).toMatchObject({ certificate: 'site', outcome: 'failed', retryable: true });
      expect(records[1]).toMatchObject({ ok: false });
    } finally {
      slow.cancel();
    }
  }, 60_000);

  it('account create registers with the CA and writes the key 0600, never to stdout, never overwriting', async () => {
    const keyFile = join(outDir, 'account.pem');
    const r = await cli(['account', 'create', '--config', configFile, '--out', keyFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/registered https:\/\/127\.0\.0\.1/);
    expect(r.stdout).not.toMatch(/PRIVATE KEY/);
    expect((await readFile(keyFile, 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const again = await cli(['account', 'create', '--config', configFile, '--out', keyFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; an account key is never overwritten/);
  });
});
