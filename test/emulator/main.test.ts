import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import RPCClient from '@alicloud/pop-core';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../sandbox/emulator/main.ts', import.meta.url));

describe('standalone emulator (main.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emu-main-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints endpoint and key id, writes the secret only to --credentials-out, stops on SIGINT', async () => {
    const credFile = join(dir, 'creds.json');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, '--port', '0', '--credentials-out', credFile, '--zone', 'example.com'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000; // tsx compiles the emulator first: slow while other test files run
      while (!/zone\s+example\.com/.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`emulator did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const endpoint = /endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const keyId = /accessKeyId\s+(\S+)/.exec(stdout)?.[1];
      expect(endpoint).toBeDefined();
      const creds = JSON.parse(readFileSync(credFile, 'utf8')) as { accessKeyId: string; accessKeySecret: string };
      expect(creds.accessKeyId).toBe(keyId);
      expect(stdout).not.toContain(creds.accessKeySecret);
      expect(stderr).not.toContain(creds.accessKeySecret);
      expect(statSync(credFile).mode & 0o077).toBe(0);

      const client = new RPCClient({ endpoint: endpoint ?? '', apiVersion: '2015-01-09', ...creds });
      const body = await call(client, 'DescribeDomains');
      expect(body.Domains.Domain[0].DomainName).toBe('example.com');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 45_000);
});
