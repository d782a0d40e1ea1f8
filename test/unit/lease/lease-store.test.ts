import { describe, expect, it } from 'vitest';
import { holderValue, leaseName, lockValue } from '../../../shared/lease/lease-records.js';
import { RecordLeaseStore } from '../../../shared/lease/record-lease-store.js';
import type { LeaseAttempt } from '../../../shared/ports/lease.js';
import { type MemoryLeaseRecords, memoryLeaseRecords } from '../../support/memory-lease-records.js';

const T0 = new Date('2026-11-22T00:00:00Z');
const MINUTE = 60_000;
const DURATION = 20 * MINUTE;
const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE);
const NAME = leaseName(['*.shop.example.com', 'shop.example.com']);
const request = (holder: string, minutes: number) => ({
  certificate: 'shop',
  domains: ['*.shop.example.com', 'shop.example.com'],
  holder,
  now: at(minutes),
});

/** Seeds `holder`'s lease as if taken at minute `minutes` (lock, then its holder record). */
async function seed(records: MemoryLeaseRecords, holder: string | undefined, minutes: number): Promise<string> {
  records.now = at(minutes);
  const lock = await records.create(NAME, lockValue('shop'));
  if (lock === 'duplicate') throw new Error('seeded twice');
  if (holder) await records.create(NAME, holderValue('shop', holder, lock.id));
  return lock.id;
}

const values = (records: MemoryLeaseRecords) => (records.records.get(NAME) ?? []).map((r) => r.value).sort();

describe('a lease per certificate over records with an atomic create', () => {
  it('lives beside the first domain’s challenge records (a wildcard’s base name)', () => {
    expect(NAME).toBe('_slb-cert-rotator-lease.shop.example.com');
  });

  const cases: {
    name: string;
    before: (r: MemoryLeaseRecords) => Promise<unknown>;
    holder: string;
    minutes: number;
    expect: (attempt: LeaseAttempt, r: MemoryLeaseRecords) => void;
  }[] = [
    {
      name: 'free: taken, with the lock and a record naming the holder and the lock',
      before: async () => {},
      holder: 'b',
      minutes: 0,
      expect: (a, r) => {
        expect(a).toMatchObject({ acquired: true, lease: { holder: 'b', reentered: false, expiresAt: at(20) } });
        if (!a.acquired) return;
        expect(a.lease.tookOver).toBeUndefined();
        expect(values(r)).toEqual([lockValue('shop'), holderValue('shop', 'b', a.lease.id)].sort());
      },
    },
    {
      name: 'held by another holder: not taken, says who and until when, changes nothing',
      before: (r) => seed(r, 'a', 0),
      holder: 'b',
      minutes: 19,
      expect: (a, r) => {
        expect(a).toEqual({ acquired: false, holder: 'a', since: at(0), expiresAt: at(20) });
        expect(r.calls.filter((c) => c.startsWith('remove') || c.startsWith('create'))).toEqual([]);
      },
    },
    {
      name: 'a lock whose holder record is missing: held by an unknown holder',
      before: (r) => seed(r, undefined, 0),
      holder: 'b',
      minutes: 5,
      expect: (a) => expect(a).toEqual({ acquired: false, holder: undefined, since: at(0), expiresAt: at(20) }),
    },
    {
      name: 'expired: the dead holder’s lock and holder record are removed by id and a fresh lease is taken',
      before: (r) => seed(r, 'a', 0),
      holder: 'b',
      minutes: 20,
      expect: (a, r) => {
        expect(a).toMatchObject({
          acquired: true,
          lease: { holder: 'b', reentered: false, tookOver: { holder: 'a', since: at(0), expiredAt: at(20) } },
        });
        if (!a.acquired) return;
        expect(a.lease.id).not.toBe('r1');
        expect(r.calls).toContain('remove r1');
        expect(r.calls).toContain('remove r2');
        expect(values(r)).toEqual([lockValue('shop'), holderValue('shop', 'b', a.lease.id)].sort());
      },
    },
    {
      name: 're-entry: the same holder gets its own live lease back, nothing written',
      before: (r) => seed(r, 'a', 0),
      holder: 'a',
      minutes: 10,
      expect: (a, r) => {
        expect(a).toMatchObject({
          acquired: true,
          lease: { id: 'r1', holderId: 'r2', reentered: true, expiresAt: at(20) },
        });
        expect(r.calls.filter((c) => c.startsWith('create'))).toEqual([]);
      },
    },
    {
      name: 'the same holder’s expired lease is replaced by a fresh one (the full duration again)',
      before: (r) => seed(r, 'a', 0),
      holder: 'a',
      minutes: 25,
      expect: (a) =>
        expect(a).toMatchObject({
          acquired: true,
          lease: { reentered: false, expiresAt: at(45), tookOver: { holder: 'a' } },
        }),
    },
    {
      name: 'a holder record left by an older lock is removed and gives no re-entry',
      before: async (r) => {
        await seed(r, 'x', 0);
        r.now = at(1);
        await r.create(NAME, holderValue('shop', 'b', 'r-gone'));
      },
      holder: 'b',
      minutes: 2,
      expect: (a, r) => {
        expect(a).toMatchObject({ acquired: false, holder: 'x' });
        expect(r.calls).toContain('remove r3');
        expect(values(r)).toEqual([lockValue('shop'), holderValue('shop', 'x', 'r1')].sort());
      },
    },
    {
      name: 'a lock without a creation time never expires early: taken as created now',
      before: async (r) => {
        await seed(r, 'a', 0);
        const lock = r.records.get(NAME)?.[0];
        if (lock) lock.createdAt = undefined;
      },
      holder: 'b',
      minutes: 600,
      expect: (a) => expect(a).toEqual({ acquired: false, holder: 'a', since: at(600), expiresAt: at(620) }),
    },
    {
      name: 'another certificate’s lease at the same name is not this one’s',
      before: async (r) => {
        r.now = at(0);
        await r.create(NAME, lockValue('shop-legacy'));
        await r.create(NAME, holderValue('shop-legacy', 'a', 'r1'));
      },
      holder: 'b',
      minutes: 1,
      expect: (a, r) => {
        expect(a).toMatchObject({ acquired: true, lease: { reentered: false } });
        expect(values(r)).toContain(lockValue('shop-legacy'));
      },
    },
  ];

  it.each(cases)('$name', async (c) => {
    const records = memoryLeaseRecords(T0);
    await c.before(records);
    records.calls.length = 0;
    records.now = at(c.minutes);
    const attempt = await new RecordLeaseStore(records, DURATION).acquire(request(c.holder, c.minutes));
    c.expect(attempt, records);
  });

  it('release is by id: a late release by the expired holder never removes its successor’s lease', async () => {
    const records = memoryLeaseRecords(T0);
    const store = new RecordLeaseStore(records, DURATION);
    const first = await store.acquire(request('a', 0));
    records.now = at(30);
    const second = await store.acquire(request('b', 30));
    if (!first.acquired || !second.acquired) throw new Error('both should have been taken in turn');
    await store.release(first.lease);
    expect(values(records)).toEqual([lockValue('shop'), holderValue('shop', 'b', second.lease.id)].sort());
    expect(await store.acquire(request('c', 31))).toMatchObject({ acquired: false, holder: 'b' });
    await store.release(second.lease);
    expect(values(records)).toEqual([]);
  });

  it('two holders at the same moment: exactly one gets it', async () => {
    const records = memoryLeaseRecords(T0);
    const store = new RecordLeaseStore(records, DURATION);
    const attempts = await Promise.all(['a', 'b', 'c'].map((h) => store.acquire(request(h, 0))));
    expect(attempts.filter((a) => a.acquired)).toHaveLength(1);
  });

  it('a lease released between our refused create and our listing is taken on the next try', async () => {
    const records = memoryLeaseRecords(T0);
    const store = new RecordLeaseStore(records, DURATION);
    await seed(records, 'a', 0);
    const list = records.list.bind(records);
    // The holder finishes right after our create was refused, before our listing.
    records.list = async (name) => {
      records.records.set(NAME, []);
      return list(name);
    };
    expect(await store.acquire(request('b', 1))).toMatchObject({ acquired: true, lease: { holder: 'b' } });
  });

  it('a holder id that does not fit a DNS value is refused by name', async () => {
    const store = new RecordLeaseStore(memoryLeaseRecords(T0), DURATION);
    await expect(store.acquire(request('run 1; rm', 0))).rejects.toThrow(/lease holder "run 1; rm"/);
  });

  it('a lock that keeps changing hands gives up with a retryable LeaseContention', async () => {
    const records = memoryLeaseRecords(T0);
    const store = new RecordLeaseStore(records, DURATION);
    // Every listing finds nothing (released each time), every create is refused (re-taken each time).
    records.create = async () => 'duplicate';
    records.list = async () => [];
    await expect(store.acquire(request('b', 0))).rejects.toMatchObject({
      stage: 'lease',
      retryable: true,
      code: 'LeaseContention',
    });
  });
});
