/**
 * `trigger --idempotency-key`: the header reaches the operator API as given, and a bad key or a route that takes none
 * is a usage error before anything is sent. The far end is a plain loopback HTTP server playing the operator API.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cli/io.js';
import { main } from '../../../cli/main.js';

const TOKEN = 'operator-token-0123456789abcdef0123456789';
let server: Server;
let url: string;
const received: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[] = [];
const seenKeys = new Set<string>();

beforeAll(async () => {
  // Answers as the operator API does: 202 the first time a key is seen, 200 {alreadyStarted} after that.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const key = req.headers['idempotency-key'];
      const repeat = typeof key === 'string' && seenKeys.has(key);
      if (typeof key === 'string') seenKeys.add(key);
      res.writeHead(repeat ? 200 : 202, { 'content-type': 'application/json' });
      res.end(JSON.stringify(repeat ? { alreadyStarted: true } : { invocationId: `inv-${received.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t) },
    env: { ROTATOR_OPERATOR_TOKEN: TOKEN },
    signals: new EventEmitter(),
  };
  return { code: await main(argv, io), stdout, stderr };
}

describe('trigger --idempotency-key', () => {
  it('sends the key with POST /rotate; a repeat is 200 alreadyStarted, exit 0 both times', async () => {
    received.length = 0;
    const first = await cli('trigger', '--url', url, '--token', '--idempotency-key', 'deploy-2026-11-30');
    const again = await cli('trigger', '--url', url, '--token', '--idempotency-key', 'deploy-2026-11-30');
    expect(first).toEqual({ code: 0, stdout: '{"invocationId":"inv-1"}\n', stderr: '' });
    expect(again).toEqual({ code: 0, stdout: '{"alreadyStarted":true}\n', stderr: '' });
    expect(received.map((r) => [r.method, r.path, r.headers['idempotency-key']])).toEqual([
      ['POST', '/rotate', 'deploy-2026-11-30'],
      ['POST', '/rotate', 'deploy-2026-11-30'],
    ]);
  });

  it('without the option no header is sent', async () => {
    received.length = 0;
    expect((await cli('trigger', '--url', url, '--token')).code).toBe(0);
    expect(received[0]!.headers).not.toHaveProperty('idempotency-key');
  });

  const bad: [string[], RegExp][] = [
    [['--idempotency-key', 'k'.repeat(65)], /--idempotency-key is 65 characters; at most 64/],
    [['--idempotency-key', 'schlüssel'], /--idempotency-key must be printable ASCII/],
    [['--idempotency-key', 'a,b'], /--idempotency-key must not contain a comma/],
    [['--idempotency-key', 'k', '--route', 'status'], /--idempotency-key goes with --route rotate only/],
  ];
  it.each(bad)('%j is a usage error (exit 2), nothing sent', async (extra, message) => {
    received.length = 0;
    const r = await cli('trigger', '--url', url, '--token', ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(received).toEqual([]);
  });
});
