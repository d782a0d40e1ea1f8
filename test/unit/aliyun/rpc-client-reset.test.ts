// A server that closes an idle kept-alive connection just as the next request is written on it: the request never
// arrived, so even a write is sent again; a reset on a fresh connection is not (the write may have been carried out).
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AliyunRpcClient } from '../../../shared/adapters/aliyun/rpc-client.js';
import { CloudApiError } from '../../../shared/errors.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Answers requests, except that the request numbers in `reset` get their socket destroyed instead. */
async function server(reset: (n: number, socketRequests: number) => boolean) {
  let n = 0;
  const arrived: number[] = [];
  const perSocket = new WeakMap<Socket, number>();
  const s = createServer((req, res) => {
    n += 1;
    const onSocket = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, onSocket);
    req.resume();
    req.on('end', () => {
      if (reset(n, onSocket)) {
        req.socket.destroy();
        return;
      }
      arrived.push(n);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ RequestId: `r${n}`, RecordId: `id${n}` }));
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const client = new AliyunRpcClient({
    endpoint: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    apiVersion: '2015-01-09',
    credentials: { getCredentials: async () => ({ accessKeyId: 'AKID', accessKeySecret: 'not-a-real-secret' }) },
    sleep: async () => {},
    now: () => 0,
  });
  return { client, arrived };
}

const write = { stage: 'dns', idempotent: false } as const;

describe('a connection reset', () => {
  it('on a reused kept-alive socket: a write is sent again on a new one', async () => {
    // The second request is the first on a reused socket: the server drops it, as if it had closed it idle.
    const { client, arrived } = await server((_n, onSocket) => onSocket === 2);
    await client.call('AddDomainRecord', { RR: 'a' }, write);
    const second = await client.call<{ RecordId: string }>('AddDomainRecord', { RR: 'b' }, write);
    expect(second.RecordId).toBe('id3');
    expect(arrived).toEqual([1, 3]);
  });

  it('on a new socket: a write is not sent again', async () => {
    const { client, arrived } = await server((n) => n === 1);
    const err = await client.call('AddDomainRecord', { RR: 'a' }, write).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudApiError);
    expect(err).toMatchObject({ retryable: false });
    expect(arrived).toEqual([]);
  });
});
