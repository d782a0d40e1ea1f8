import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { pebbleEnv } from '../../support/env.js';

describe('pebble sandbox from test/run.ts', () => {
  it('serves the ACME directory over HTTPS trusted through NODE_EXTRA_CA_CERTS', async () => {
    const { directoryUrl } = pebbleEnv();
    const res = await fetch(directoryUrl);
    expect(res.status).toBe(200);
    const dir = (await res.json()) as Record<string, unknown>;
    expect(dir).toHaveProperty('newOrder');
    expect(dir).toHaveProperty('newAccount');
  });

  it('serves TXT values set through the challtestsrv management API', async () => {
    const { challtestsrvUrl, dnsServer } = pebbleEnv();
    const host = `_acme-challenge.sandbox-${Date.now()}.example.test.`;
    const post = (path: string, body: unknown) =>
      fetch(`${challtestsrvUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post('/set-txt', { host, value: 'one' })).status).toBe(200);
    expect((await post('/set-txt', { host, value: 'two' })).status).toBe(200);
    const resolver = new Resolver();
    resolver.setServers([dnsServer]);
    const values = (await resolver.resolveTxt(host.slice(0, -1))).map((chunks) => chunks.join(''));
    expect(values.sort()).toEqual(['one', 'two']);
    await post('/clear-txt', { host });
    await expect(resolver.resolveTxt(host.slice(0, -1))).rejects.toMatchObject({
      code: expect.stringMatching(/ENOTFOUND|ENODATA/),
    });
  });
});
