import { Resolver } from 'node:dns/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alidns } from '../../sandbox/emulator/alidns.js';
import { ChalltestsrvMirror } from '../../sandbox/emulator/challtestsrv-mirror.js';
import { type Emulator, startEmulator } from '../../sandbox/emulator/index.js';
import { pebbleEnv } from '../support/env.js';
import { type Body, call, callError, expectCode, popClient } from './helpers.js';

describe('Alidns (real pop-core)', () => {
  let emu: Emulator;
  let dns: ReturnType<typeof popClient>;

  beforeAll(async () => {
    emu = await startEmulator({ tlsListeners: false });
    dns = popClient(emu, 'alidns');
    emu.alidns.addZone('example.com');
    emu.alidns.addZone('sub.example.com');
    emu.alidns.addZone('example.org');
  });
  afterAll(async () => {
    await emu.close();
  });

  it('lists zones with paging and a keyword', async () => {
    const all = await call(dns, 'DescribeDomains', { PageSize: 2 });
    expect(all.TotalCount).toBe(3);
    expect(all.Domains.Domain).toHaveLength(2);
    expect(all.Domains.Domain[0]).toMatchObject({ DomainName: 'example.com' });
    expect(typeof all.Domains.Domain[0].DomainId).toBe('string');
    const org = await call(dns, 'DescribeDomains', { KeyWord: '.org' });
    expect(org.Domains.Domain.map((d: Body) => d.DomainName)).toEqual(['example.org']);
  });

  it('adds, describes and deletes a TXT record; RecordId is a numeric string', async () => {
    const added = await call(dns, 'AddDomainRecord', {
      DomainName: 'example.com',
      RR: '_acme-challenge.www',
      Type: 'TXT',
      Value: 'token-1',
    });
    expect(typeof added.RecordId).toBe('string');
    expect(added.RecordId).toMatch(/^\d+$/);
    const listed = await call(dns, 'DescribeDomainRecords', { DomainName: 'example.com', TypeKeyWord: 'TXT' });
    expect(listed.DomainRecords.Record).toEqual([
      expect.objectContaining({
        RecordId: added.RecordId,
        RR: '_acme-challenge.www',
        Type: 'TXT',
        Value: 'token-1',
        TTL: 600,
        Line: 'default',
        DomainName: 'example.com',
      }),
    ]);
    const sub = await call(dns, 'DescribeSubDomainRecords', {
      SubDomain: '_acme-challenge.www.example.com',
      Type: 'TXT',
    });
    expect(sub.TotalCount).toBe(1);
    const deleted = await call(dns, 'DeleteDomainRecord', { RecordId: added.RecordId });
    expect(deleted.RecordId).toBe(added.RecordId);
    expect(emu.alidns.records('example.com')).toEqual([]);
  });

  it('backdates a record so it looks left over from an earlier run', async () => {
    const added = await call(dns, 'AddDomainRecord', {
      DomainName: 'example.org',
      RR: '_acme-challenge.old',
      Type: 'TXT',
      Value: 'stale-token',
    });
    const describe = async () =>
      (await call(dns, 'DescribeSubDomainRecords', { SubDomain: '_acme-challenge.old.example.org', Type: 'TXT' }))
        .DomainRecords.Record[0];
    const fresh = await describe();
    expect(Date.now() - fresh.CreateTimestamp).toBeLessThan(60_000);
    const twoHours = 2 * 60 * 60 * 1000;
    const backdated = emu.alidns.backdateRecord(added.RecordId, twoHours);
    expect(backdated.CreateTimestamp).toBe(fresh.CreateTimestamp - twoHours);
    const old = await describe();
    expect(old).toMatchObject({
      RecordId: added.RecordId,
      CreateTimestamp: fresh.CreateTimestamp - twoHours,
      UpdateTimestamp: fresh.UpdateTimestamp - twoHours,
    });
    const listed = await call(dns, 'DescribeDomainRecords', { DomainName: 'example.org', RRKeyWord: 'old' });
    expect(listed.DomainRecords.Record[0].CreateTimestamp).toBe(old.CreateTimestamp);
    expect(() => emu.alidns.backdateRecord('1', 1000)).toThrow(/no record/);
    expect(() => emu.alidns.backdateRecord(added.RecordId, -1)).toThrow();
    await call(dns, 'DeleteDomainRecord', { RecordId: added.RecordId });
  });

  it('answers DomainRecordDuplicate for the same RR, Type and Value, and allows a second value', async () => {
    const params = { DomainName: 'example.com', RR: '_acme-challenge', Type: 'TXT', Value: 'v1' };
    const first = await call(dns, 'AddDomainRecord', params);
    const e = await expectCode(callError(dns, 'AddDomainRecord', params), 'DomainRecordDuplicate');
    expect(e.status).toBe(400);
    expect(e.data.Message).toBe('The DNS record already exists.');
    expect(e.data.HostId).toBe('alidns.aliyuncs.com');
    const second = await call(dns, 'AddDomainRecord', { ...params, Value: 'v2' });
    expect(second.RecordId).not.toBe(first.RecordId);
    await call(dns, 'DeleteDomainRecord', { RecordId: first.RecordId });
    await call(dns, 'DeleteDomainRecord', { RecordId: second.RecordId });
  });

  it('rejects TTL below the free-edition minimum and malformed TTLs', async () => {
    const base = { DomainName: 'example.com', RR: 'ttl', Type: 'TXT', Value: 'x' };
    const low = await expectCode(callError(dns, 'AddDomainRecord', { ...base, TTL: 300 }), 'QuotaExceeded.TTL');
    expect(low.data.Message).toMatch(/600 to 86400/);
    const zero = await expectCode(callError(dns, 'AddDomainRecord', { ...base, TTL: 0 }), 'InvalidTTL');
    expect(zero.data.Message).toBe('Specified parameter TTL is not valid.');
  });

  it('answers the documented codes for a foreign zone, a malformed name and an unknown record', async () => {
    await expectCode(
      callError(dns, 'AddDomainRecord', { DomainName: 'not-mine.com', RR: 'a', Type: 'TXT', Value: 'x' }),
      'InvalidDomainName.NoExist',
    );
    await expectCode(
      callError(dns, 'DescribeDomainRecords', { DomainName: '_acme-challenge.example.com' }),
      'InvalidDomainName.Format',
    );
    await expectCode(callError(dns, 'DeleteDomainRecord', { RecordId: '123456789' }), 'DomainRecordNotBelongToUser');
    await expectCode(
      callError(dns, 'AddDomainRecord', { DomainName: 'example.com', RR: 'a', Type: 'TXT' }),
      'MissingParameter',
    );
  });

  it('splits a sub-domain at the longest zone of the account', async () => {
    const r = await call(dns, 'AddDomainRecord', {
      DomainName: 'sub.example.com',
      RR: '_acme-challenge',
      Type: 'TXT',
      Value: 'z',
    });
    const found = await call(dns, 'DescribeSubDomainRecords', { SubDomain: '_acme-challenge.sub.example.com' });
    expect(found.DomainRecords.Record.map((x: Body) => [x.DomainName, x.RR])).toEqual([
      ['sub.example.com', '_acme-challenge'],
    ]);
    const main = await call(dns, 'GetMainDomainName', { InputString: '_acme-challenge.sub.example.com' });
    expect(main.DomainName).toBe('sub.example.com');
    expect(main.RR).toBe('_acme-challenge');
    await call(dns, 'DeleteDomainRecord', { RecordId: r.RecordId });
  });
});

describe('TXT records mirrored into pebble-challtestsrv', () => {
  let emu: Emulator;
  let resolver: Resolver;

  beforeAll(async () => {
    // The test runner's challtestsrv (the one Pebble validates against): real DNS answers, nothing to start here.
    const { challtestsrvUrl, dnsServer } = pebbleEnv();
    emu = await startEmulator({ challtestsrvUrl, tlsListeners: false });
    emu.alidns.addZone('example.net');
    resolver = new Resolver({ timeout: 1000, tries: 2 });
    resolver.setServers([dnsServer]);
  });

  afterAll(async () => {
    await emu?.close();
  });

  const txt = async (name: string): Promise<string[]> => {
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join('')).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
      throw err;
    }
  };

  /** Waits until the test DNS serves exactly `values` at `name`; fails with what it served last. */
  const published = async (name: string, values: string[], withinMs = 5000): Promise<void> => {
    const deadline = Date.now() + withinMs;
    let seen = await txt(name);
    while (JSON.stringify(seen) !== JSON.stringify(values) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await txt(name);
    }
    expect(seen).toEqual(values);
  };

  it('publishes added values and removes exactly the deleted one', async () => {
    const dns = popClient(emu, 'alidns');
    const name = '_acme-challenge.www.example.net';
    const a = await call(dns, 'AddDomainRecord', {
      DomainName: 'example.net',
      RR: '_acme-challenge.www',
      Type: 'TXT',
      Value: 'value-a',
    });
    const b = await call(dns, 'AddDomainRecord', {
      DomainName: 'example.net',
      RR: '_acme-challenge.www',
      Type: 'TXT',
      Value: 'value-b',
    });
    // Published after the answer, so it may take a moment.
    await published(name, ['value-a', 'value-b']);
    await call(dns, 'DeleteDomainRecord', { RecordId: a.RecordId });
    expect(await txt(name)).toEqual(['value-b']);
    await call(dns, 'DeleteDomainRecord', { RecordId: b.RecordId });
    expect(await txt(name)).toEqual([]);
  });

  it('mirrors the apex (RR "@") and can delay propagation', async () => {
    const dns = popClient(emu, 'alidns');
    emu.faults.delayDnsPropagation(300);
    const r = await call(dns, 'AddDomainRecord', { DomainName: 'example.net', RR: '@', Type: 'TXT', Value: 'apex' });
    expect(await txt('example.net')).toEqual([]);
    await new Promise((res) => setTimeout(res, 450));
    expect(await txt('example.net')).toEqual(['apex']);
    emu.faults.delayDnsPropagation(0);
    await call(dns, 'DeleteDomainRecord', { RecordId: r.RecordId });
    expect(await txt('example.net')).toEqual([]);
  });

  it('the constructor option delays publishing; setPropagationDelay(undefined) goes back to it', async () => {
    const { challtestsrvUrl } = pebbleEnv();
    const alidns = new Alidns({
      clock: Date.now,
      mirror: new ChalltestsrvMirror(challtestsrvUrl),
      propagationDelayMs: 600,
    });
    alidns.addZone('delay.example.net');
    const add = (value: string) =>
      alidns.handle('AddDomainRecord', {
        DomainName: 'delay.example.net',
        RR: '_acme-challenge',
        Type: 'TXT',
        Value: value,
      }) as Record<string, unknown>;
    const name = '_acme-challenge.delay.example.net';
    try {
      const addedAt = Date.now();
      add('late');
      expect(await txt(name)).toEqual([]);
      await published(name, ['late']);
      expect(Date.now() - addedAt).toBeGreaterThanOrEqual(600);

      alidns.setPropagationDelay(0);
      add('soon');
      await published(name, ['late', 'soon'], 500);
      alidns.setPropagationDelay(undefined);
      add('late-again');
      expect(await txt(name)).toEqual(['late', 'soon']);
      await published(name, ['late', 'late-again', 'soon']);
    } finally {
      await alidns.settle();
      await new ChalltestsrvMirror(challtestsrvUrl).replaceTxt(name, []);
    }
  });

  it('a value deleted before its delay is over never reaches the name servers', async () => {
    const dns = popClient(emu, 'alidns');
    emu.faults.delayDnsPropagation(400);
    const r = await call(dns, 'AddDomainRecord', {
      DomainName: 'example.net',
      RR: '_acme-challenge.gone',
      Type: 'TXT',
      Value: 'never',
    });
    await call(dns, 'DeleteDomainRecord', { RecordId: r.RecordId });
    await new Promise((res) => setTimeout(res, 600));
    expect(await txt('_acme-challenge.gone.example.net')).toEqual([]);
    await emu.faults.reset();
  });

  it('rejects a negative or non-finite delay, naming it', () => {
    expect(() => new Alidns({ clock: Date.now, mirror: undefined, propagationDelayMs: -1 })).toThrow(
      /propagation delay must be .* not -1/,
    );
    const alidns = new Alidns({ clock: Date.now, mirror: undefined });
    expect(() => alidns.setPropagationDelay(Number.NaN)).toThrow(/propagation delay/);
  });
});

describe('AddDomainRecord answers before it publishes', () => {
  it('answers at once and stores the record while challtestsrv does not answer at all; publishes afterwards', async () => {
    // A management API that takes requests and never answers: an answer that waited for it would take the mirror's
    // whole time-out (5 s) and then fail.
    const seen: { path: string; at: number }[] = [];
    const hanging = createServer((req: IncomingMessage) => {
      seen.push({ path: req.url ?? '', at: Date.now() });
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const emu = await startEmulator({
      challtestsrvUrl: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`,
      tlsListeners: false,
    });
    try {
      emu.alidns.addZone('slow.example');
      const dns = popClient(emu, 'alidns');
      const started = Date.now();
      const r = await call(dns, 'AddDomainRecord', {
        DomainName: 'slow.example',
        RR: '_acme-challenge',
        Type: 'TXT',
        Value: 'v',
      });
      const answeredAt = Date.now();
      expect(answeredAt - started).toBeLessThan(2000);
      expect(emu.alidns.records('slow.example').map((x) => x.RecordId)).toEqual([r.RecordId]);
      while (seen.length === 0 && Date.now() - answeredAt < 3000) await new Promise((res) => setTimeout(res, 20));
      expect(seen.map((x) => x.path)).toEqual(['/set-txt']);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
      await emu.close();
    }
  });
});

describe("Alidns's published rate quotas", () => {
  it('refuses the 61st AddDomainRecord within one second with Throttling.User, counts only accepted calls, and accepts again a second later', async () => {
    // The emulator's clock, held still: every call below falls in the same second.
    let now = Date.now();
    const emu = await startEmulator({ tlsListeners: false, clock: () => now });
    try {
      emu.alidns.addZone('quota.example');
      const dns = popClient(emu, 'alidns');
      const add = (i: number) =>
        call(dns, 'AddDomainRecord', { DomainName: 'quota.example', RR: `r${i}`, Type: 'TXT', Value: `v${i}` });
      for (let i = 0; i < 60; i++) await add(i);
      const refused = await expectCode(
        callError(dns, 'AddDomainRecord', { DomainName: 'quota.example', RR: 'x', Type: 'TXT', Value: 'x' }),
        'Throttling.User',
      );
      expect(refused.message).toMatch(/flow control/);
      await expectCode(
        callError(dns, 'AddDomainRecord', { DomainName: 'quota.example', RR: 'y', Type: 'TXT', Value: 'y' }),
        'Throttling.User',
      );
      expect(emu.alidns.records('quota.example')).toHaveLength(60);
      // Other actions have quotas of their own, and DescribeDomains none that is published.
      const first = emu.alidns.records('quota.example')[0];
      await call(dns, 'DeleteDomainRecord', { RecordId: first?.RecordId });
      for (let i = 0; i < 5; i++) await call(dns, 'DescribeDomains', {});
      now += 1000;
      await add(100);
      expect(emu.alidns.records('quota.example')).toHaveLength(60);
    } finally {
      await emu.close();
    }
  });

  it('can be turned off (alidnsRateQuotas: false)', async () => {
    const now = Date.now();
    const emu = await startEmulator({ tlsListeners: false, clock: () => now, alidnsRateQuotas: false });
    try {
      emu.alidns.addZone('free.example');
      const dns = popClient(emu, 'alidns');
      for (let i = 0; i < 70; i++) {
        await call(dns, 'AddDomainRecord', { DomainName: 'free.example', RR: `r${i}`, Type: 'TXT', Value: `v${i}` });
      }
      expect(emu.alidns.records('free.example')).toHaveLength(70);
    } finally {
      await emu.close();
    }
  });
});
