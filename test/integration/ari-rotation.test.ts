/**
 * Renewal timing with ACME Renewal Information (RFC 9773), end to end: the rotator keeps the ARI certificate id in a
 * tag when it uploads, asks the CA for the renewal window on later runs, renews inside it even when the lifetime rule
 * would wait, and sends `replaces` with the order. Pebble 2.4 has no ARI, so a small front adds `renewalInfo` to its
 * directory and records the orders it forwards to the real Pebble.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAccountKeyPem } from '../../shared/adapters/acme/acme-certificate-authority.js';
import { TAG_ARI_ID } from '../../shared/domain/tags.js';
import { seedListener } from '../../sandbox/world.js';
import { type AriFront, startAriFront } from '../support/ari-front.js';
import { pebbleEnv } from '../support/env.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
const DAY = 86_400_000;
let h: RotationHarness;
let front: AriFront;
let accountKeyPem: string;

beforeAll(async () => {
  accountKeyPem = await generateAccountKeyPem();
  [h, front] = await Promise.all([
    startRotationHarness(['ari.test']),
    startAriFront({ upstreamDirectoryUrl: pebbleEnv().directoryUrl, proxyNewOrder: { accountKeyPem } }),
  ]);
});
afterAll(async () => {
  await front?.close();
  await h?.close();
});

const tagOf = (id: string | undefined) =>
  h.world.emulator.slb
    .certificates(REGION)
    .find((c) => c.ServerCertificateId === id)
    ?.Tags?.Tag?.find((t: { TagKey: string }) => t.TagKey === TAG_ARI_ID)?.TagValue;

describe('ACME Renewal Information', () => {
  it('follows the CA window, sends replaces, and tags every upload with its ARI id', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['ari.test'], days: 3 });
    const cert = {
      name: 'ari',
      domains: ['ari.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    const run = () => h.run([cert], { ca: { ...h.ca, directoryUrl: front.directoryUrl }, accountKeyPem });

    // First rotation: the hand-uploaded certificate has no ARI id, so the lifetime rule decides and no replaces is sent.
    const first = (await run()).records[0];
    expect(first?.outcome, first?.reason).toBe('rotated');
    expect(front.orders.at(-1)?.replaces).toBeUndefined();
    const ariId = tagOf(first?.current?.serverCertificateId);
    expect(ariId).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    // A fresh 90-day certificate: the lifetime rule would wait ~60 days, and so does a window far ahead.
    front.setWindow(ariId as string, { start: new Date(Date.now() + 50 * DAY), end: new Date(Date.now() + 51 * DAY) });
    const waiting = (await run()).records[0];
    expect(waiting?.outcome).toBe('not-due');
    expect(waiting?.reason).toMatch(/within the CA's renewal window/);
    expect(front.requested).toContain(ariId);

    // The CA moves the window into the past (e.g. a revocation event): renew now, replacing the old certificate.
    front.setWindow(ariId as string, { start: new Date(Date.now() - 2 * DAY), end: new Date(Date.now() - DAY) });
    await new Promise((r) => setTimeout(r, 1100)); // a later notAfter second than the first rotation
    const renewed = (await run()).records[0];
    expect(renewed?.outcome, renewed?.reason).toBe('rotated');
    expect(renewed?.reason).toMatch(/inside the CA's renewal window/);
    expect(front.orders.at(-1)?.replaces).toBe(ariId);
    expect(tagOf(renewed?.current?.serverCertificateId)).not.toBe(ariId);
  }, 90_000); // three rotations, each with its lease, against a second CA

  it('a CA whose renewal information fails: the lifetime rule decides and the outcome says so', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['www.ari.test'], days: 3 });
    const cert = {
      name: 'ari2',
      domains: ['www.ari.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    const run = () => h.run([cert], { ca: { ...h.ca, directoryUrl: front.directoryUrl }, accountKeyPem });
    const first = (await run()).records[0];
    const ariId = tagOf(first?.current?.serverCertificateId) as string;
    front.setAnswer(ariId, { status: 503, body: { type: 'urn:ietf:params:acme:error:serverInternal', status: 503 } });
    const next = (await run()).records[0];
    expect(next?.outcome).toBe('not-due');
    expect(next?.reason).toMatch(/1\/3 of a/);
    expect(next?.warnings?.join('\n')).toMatch(/renewal information unavailable, using the lifetime rule/);
  });
});
