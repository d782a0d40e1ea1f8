/**
 * One end-to-end test per safety rule that had none: each goes red when its rule is removed from the rotator, with
 * the real clients against Pebble and the emulator. Tests drive the use case only through runRotation (the harness,
 * or the same composition when the CA must hand back a certificate it issued before), never through the rotation's
 * internal functions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeExpiringCertificate } from '../../sandbox/seed-certificate.js';
import { type SandboxCertificate, sandboxConfigYaml, seedListener } from '../../sandbox/world.js';
import { parseConfig } from '../../shared/config/load-config.js';
import type { IssuedCertificate } from '../../shared/domain/certificate.js';
import { createLogger } from '../../shared/log/logger.js';
import { memorySink } from '../../shared/log/outcome-sink.js';
import { runRotation } from '../../shared/rotation/run-rotation.js';
import { credentialsFromFcContext } from '../../shared/runtime/credentials.js';
import { wireRotation } from '../../shared/runtime/wire.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
let h: RotationHarness;

beforeAll(async () => {
  h = await startRotationHarness([
    'dedupe.test',
    'expiry.test',
    'regress.test',
    'readback.test',
    'readfail.test',
    'inuse.test',
    'spread.test',
  ]);
});
afterEach(async () => {
  await h.world.emulator.faults.reset();
});
afterAll(async () => {
  await h?.close();
});

const emu = () => h.world.emulator;
const uploadsIn = (region: string) =>
  emu()
    .callsOf('UploadServerCertificate')
    .filter((c) => c.params.RegionId === region).length;
const setsOf = (loadBalancerId: string) =>
  emu()
    .callsOf('SetLoadBalancerHTTPSListenerAttribute')
    .filter((c) => c.params.LoadBalancerId === loadBalancerId).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Each issuance is a real ACME order with DNS-01, and a rotation that should have stopped may go on to deploy and
 * probe the wire: generous limits, so a broken rule shows as the assertion that names it rather than as a time-out.
 */
const ONE_ORDER_MS = 120_000;
const SEVERAL_ORDERS_MS = 240_000;

/**
 * The harness's composition (real pop-core, real acme-client against Pebble), with a CA that answers the order with
 * `replay` when given: a CA that hands back a certificate it issued before. Returns the real CA's first issuance
 * when asked to `issueOnce`.
 */
async function composition(certificates: SandboxCertificate[]) {
  const config = await parseConfig(sandboxConfigYaml(h.ca, certificates), 'test.yaml', {});
  const deps = wireRotation({
    config,
    env: h.world.endpointEnv,
    credentials: credentialsFromFcContext(emu().issueStsCredentials()),
    logger: createLogger({ fd: 2, level: 'warn', stream: { write() {} } }),
    sink: memorySink(),
  });
  return {
    config,
    issueOnce: async (): Promise<IssuedCertificate> => {
      const managed = config.certificates[0];
      if (!managed) throw new Error('no certificate configured');
      return (await deps.certificateAuthority()).issue({ domains: managed.domains, keyType: managed.keyType });
    },
    run: (replay: IssuedCertificate) =>
      runRotation(
        config,
        { trigger: 'test' },
        { ...deps, certificateAuthority: () => Promise.resolve({ issue: () => Promise.resolve(replay) }) },
      ),
  };
}

describe('upload', () => {
  it(
    'never uploads a certificate the region already holds: the one with the same fingerprint is used',
    async () => {
      const region = 'cn-shenzhen';
      const seeded = await seedListener(h.world, { regionId: region, domains: ['dedupe.test'], days: 3 });
      const c = await composition([
        {
          name: 'dedupe',
          domains: ['dedupe.test'],
          region,
          listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
        },
      ]);
      const issued = await c.issueOnce();
      // The same certificate is already in the region (uploaded by hand, so it is not resumable).
      const existing = emu().slb.importCertificate(region, {
        certificatePem: issued.certificatePem,
        privateKeyPem: issued.privateKeyPem,
        name: 'same-by-hand',
      });
      const { records } = await c.run(issued);
      const r = records[0];
      expect(r?.outcome, r?.reason).toBe('rotated');
      expect(r?.current?.serverCertificateId).toBe(existing.ServerCertificateId);
      expect(uploadsIn(region)).toBe(0);
      expect(
        emu()
          .slb.certificates(region)
          .filter((x) => x.Fingerprint === existing.Fingerprint),
      ).toHaveLength(1);
      expect(emu().slb.binding(region, seeded.loadBalancerId, 443).serverCertificateId).toBe(
        existing.ServerCertificateId,
      );
    },
    SEVERAL_ORDERS_MS,
  );
});

describe('compare', () => {
  it(
    'an ExpireTimeStamp that is not the leaf notAfter is a mismatch: no target moves',
    async () => {
      const seeded = await seedListener(h.world, { regionId: REGION, domains: ['expiry.test'], days: 3 });
      // The fingerprint is right; only the expiry SLB reports is a day off.
      emu().faults.tamperResponse('UploadServerCertificate', (body) => ({
        ...body,
        ExpireTimeStamp: Number(body.ExpireTimeStamp) + 86_400_000,
      }));
      const { records } = await h.run([
        {
          name: 'expiry',
          domains: ['expiry.test'],
          region: REGION,
          listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
        },
      ]);
      const r = records[0];
      expect(r?.outcome, r?.reason).toBe('mismatch');
      expect(r?.reason).toMatch(/ExpireTimeStamp/);
      expect(setsOf(seeded.loadBalancerId)).toBe(0);
      expect(emu().slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
        seeded.serverCertificateId,
      );
    },
    ONE_ORDER_MS,
  );

  it(
    'a certificate that does not expire later than the one in use is regressed: nothing uploaded, nothing moved',
    async () => {
      const region = 'cn-shanghai';
      // Pebble issues for 90 days; the certificate in use has 200 left.
      const seeded = await seedListener(h.world, { regionId: region, domains: ['regress.test'], days: 200 });
      const { records } = await h.run(
        [
          {
            name: 'regress',
            domains: ['regress.test'],
            region,
            listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
          },
        ],
        { request: { force: true } },
      );
      const r = records[0];
      expect(r?.outcome, r?.reason).toBe('regressed');
      expect(r?.reason).toMatch(/not later than the one in use/);
      expect(uploadsIn(region)).toBe(0);
      expect(setsOf(seeded.loadBalancerId)).toBe(0);
      expect(emu().slb.binding(region, seeded.loadBalancerId, 443).serverCertificateId).toBe(
        seeded.serverCertificateId,
      );
    },
    ONE_ORDER_MS,
  );
});

describe('deploy: a change SLB accepted but could not be confirmed is put back', () => {
  it(
    'a listener that reads back the old certificate after accepting the new one goes back; the next run finishes',
    async () => {
      const seeded = await seedListener(h.world, { regionId: REGION, domains: ['readback.test'], days: 3 });
      const cert = {
        name: 'readback',
        domains: ['readback.test'],
        region: REGION,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      };
      const stale = emu().faults.staleReadBack({ regionId: REGION, loadBalancerId: seeded.loadBalancerId, port: 443 });
      const first = (await h.run([cert])).records[0];
      expect(stale.hits).toBe(1);
      expect(first?.outcome, first?.reason).toBe('rolled-back');
      expect(first?.stage).toBe('deploy');
      expect(first?.reason).toMatch(/still serves/);
      expect(first?.targets.map((t) => t.status)).toEqual(['rolled-back']);
      // SLB had accepted the change: only the rollback puts the listener back.
      expect(emu().slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
        seeded.serverCertificateId,
      );

      const second = (await h.run([cert])).records[0];
      expect(second?.outcome, second?.reason).toBe('rotated');
      expect(second?.resumed).toBe(true);
      expect(emu().slb.binding(REGION, seeded.loadBalancerId, 443).serverCertificateId).toBe(
        first?.current?.serverCertificateId,
      );
    },
    SEVERAL_ORDERS_MS,
  );

  it(
    'a domain extension whose read-back fails after the change was accepted goes back',
    async () => {
      const seeded = await seedListener(h.world, { regionId: REGION, domains: ['www.readfail.test'], days: 3 });
      const extCert = emu().slb.importCertificate(REGION, {
        ...(await makeExpiringCertificate(['api.readfail.test'], 3)),
        name: 'api-by-hand',
      });
      const extId = emu().slb.addDomainExtension(
        REGION,
        seeded.loadBalancerId,
        443,
        'api.readfail.test',
        extCert.ServerCertificateId,
      );
      // Forbidden.RAM is not retried by the client, so exactly the read-back after the change fails.
      const failing = emu().faults.failReadBack(
        { regionId: REGION, loadBalancerId: seeded.loadBalancerId, port: 443, domainExtensionId: extId },
        { code: 'Forbidden.RAM' },
      );
      const r = (
        await h.run([
          {
            name: 'readfail',
            domains: ['api.readfail.test'],
            region: REGION,
            domainExtensions: [{ loadBalancerId: seeded.loadBalancerId, port: 443, domain: 'api.readfail.test' }],
          },
        ])
      ).records[0];
      expect(failing.hits).toBe(1);
      expect(r?.outcome, r?.reason).toBe('rolled-back');
      expect(r?.stage).toBe('deploy');
      expect(r?.reason).toMatch(/Forbidden\.RAM/);
      const binding = emu().slb.binding(REGION, seeded.loadBalancerId, 443);
      expect(binding.domainExtensions.find((d) => d.domainExtensionId === extId)?.serverCertificateId).toBe(
        extCert.ServerCertificateId,
      );
      expect(binding.serverCertificateId).toBe(seeded.serverCertificateId);
    },
    ONE_ORDER_MS,
  );
});

describe('prune', () => {
  it(
    'never asks SLB to delete an own old certificate that a listener still serves',
    async () => {
      const region = 'cn-guangzhou';
      const seeded = await seedListener(h.world, { regionId: region, domains: ['inuse.test'], days: 3 });
      const cert = {
        name: 'inuse',
        domains: ['inuse.test'],
        region,
        retain: 0,
        listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      };
      const first = (await h.run([cert])).records[0];
      expect(first?.outcome, first?.reason).toBe('rotated');
      const kept = first?.current?.serverCertificateId ?? '';
      // Someone points another listener, not a target, at the rotator's certificate.
      const other = emu().slb.addLoadBalancer(region).loadBalancerId;
      await emu().slb.addHttpsListener(region, other, 443, kept);

      const deleted: string[] = [];
      for (let i = 0; i < 2; i++) {
        await sleep(1100); // a new notAfter second, so each forced renewal expires later
        const r = (await h.run([cert], { request: { force: true } })).records[0];
        expect(r?.outcome, r?.reason).toBe('rotated');
        deleted.push(...(r?.deleted ?? []));
      }
      // Pruning did run (retain 0: the unreferenced second certificate went) ...
      expect(deleted).toHaveLength(1);
      expect(deleted).not.toContain(kept);
      // ... and the rotator itself never asked for the referenced one: SLB's refusal was never needed.
      const asked = emu()
        .callsOf('DeleteServerCertificate')
        .filter((c) => c.params.RegionId === region)
        .map((c) => c.params.ServerCertificateId);
      expect(asked).toEqual(deleted);
      expect(asked).not.toContain(kept);
      expect(
        emu()
          .slb.certificates(region)
          .some((c) => c.ServerCertificateId === kept),
      ).toBe(true);
    },
    SEVERAL_ORDERS_MS,
  );
});

describe('decide', () => {
  it(
    'certificates with the same dates renew at different points, and each at the same point on every run',
    async () => {
      const pem = await makeExpiringCertificate(['spread.test'], 60);
      const names = ['alpha', 'beta', 'gamma'];
      const certificates: SandboxCertificate[] = [];
      for (const name of names) {
        // The very same certificate behind each name: only the name differs.
        const id = emu().slb.importCertificate(REGION, { ...pem, name: `${name}-by-hand` }).ServerCertificateId;
        const lb = emu().slb.addLoadBalancer(REGION).loadBalancerId;
        await emu().slb.addHttpsListener(REGION, lb, 443, id);
        certificates.push({
          name: `spread-${name}`,
          domains: ['spread.test'],
          region: REGION,
          listeners: [{ loadBalancerId: lb, port: 443 }],
        });
      }
      const renewAt = async () => {
        const { records } = await h.run(certificates);
        for (const r of records) expect(r.outcome, r.reason).toBe('not-due');
        return records.map((r) => r.renewAt);
      };
      const first = await renewAt();
      expect(new Set(first).size).toBe(names.length);
      expect(await renewAt()).toEqual(first);
    },
    ONE_ORDER_MS,
  );
});
