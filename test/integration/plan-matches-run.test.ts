/**
 * A plan is a promise: made before a run, it lists exactly the changes the run then makes in SLB and Alidns, and
 * making it changes nothing. Checked against the emulator's call log with the real pop-core and acme-client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../sandbox/emulator/call-log.js';
import { seedListener } from '../../sandbox/world.js';
import type { PlannedCall } from '../../shared/plan/types.js';
import { type RotationHarness, startRotationHarness } from '../support/rotation-harness.js';

const REGION = 'cn-hangzhou';
const WRITE = /^(Add|Delete|Set|Upload|Update|Create|Modify|Tag|Untag)/;
let h: RotationHarness;

beforeAll(async () => {
  h = await startRotationHarness(['plan.test']);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

function changesMade(): CallRecord[] {
  return h.world.emulator.calls.filter((c) => c.status < 400 && WRITE.test(c.action));
}

/** One comparable line per change; DeleteDomainRecord is named by record id in the API, so by action only. */
function made(c: CallRecord): string {
  const p = c.params;
  switch (c.action) {
    case 'AddDomainRecord':
      return `Alidns AddDomainRecord ${p.RR}.${p.DomainName} ${p.Type}`;
    case 'DeleteDomainRecord':
      return 'Alidns DeleteDomainRecord';
    case 'UploadServerCertificate':
      return `SLB UploadServerCertificate ${p.RegionId}`;
    case 'SetLoadBalancerHTTPSListenerAttribute':
      return `SLB SetLoadBalancerHTTPSListenerAttribute ${p.LoadBalancerId}:${p.ListenerPort} ${p.ServerCertificateId}`;
    case 'DeleteServerCertificate':
      return `SLB DeleteServerCertificate ${p.ServerCertificateId}`;
    default:
      return `${c.product} ${c.action} ${JSON.stringify(p)}`;
  }
}

function planned(c: PlannedCall, newId: string): string {
  const p = c.params;
  switch (c.action) {
    case 'AddDomainRecord':
      return `Alidns AddDomainRecord ${p.Name} ${p.Type}`;
    case 'DeleteDomainRecord':
      return 'Alidns DeleteDomainRecord';
    case 'UploadServerCertificate':
      return `SLB UploadServerCertificate ${p.RegionId}`;
    case 'SetLoadBalancerHTTPSListenerAttribute':
      return `SLB SetLoadBalancerHTTPSListenerAttribute ${p.LoadBalancerId}:${p.ListenerPort} ${String(p.ServerCertificateId).replace('(new)', newId)}`;
    case 'DeleteServerCertificate':
      return `SLB DeleteServerCertificate ${p.ServerCertificateId}`;
    default:
      return `${c.product} ${c.action} ${JSON.stringify(p)}`;
  }
}

describe('plan, then run', () => {
  it('lists exactly the changes the run makes, and planning changes nothing', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['plan.test', '*.plan.test'], days: 3 });
    const cert = {
      name: 'plan',
      domains: ['plan.test', '*.plan.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
      retain: 0,
    };
    // First the takeover of a hand-uploaded certificate (due: 3 days left), then a forced run that also prunes the
    // rotator's own certificate it replaces.
    for (const force of [false, true]) {
      h.world.emulator.clearCalls();
      const plan = await h.plan([cert], { request: { force } });
      expect(changesMade()).toEqual([]);
      const c = plan.certificates[0];
      expect(c?.action).toBe('issue');
      expect(c?.code).toBe(force ? 'due.forced' : 'due.window');

      const { records } = await h.run([cert], { request: { force } });
      const r = records[0];
      expect(r?.outcome).toBe('rotated');
      const newId = r?.current?.serverCertificateId ?? '';
      const expected = (c?.calls ?? []).filter((x) => x.product !== 'ACME').map((x) => planned(x, newId));
      const actual = changesMade().map(made);
      expect([...actual].sort()).toEqual([...expected].sort());
      // The SLB changes also come in the planned order: upload, move, then prune.
      expect(actual.filter((a) => a.startsWith('SLB'))).toEqual(expected.filter((a) => a.startsWith('SLB')));
      if (force) expect(expected.some((a) => a.startsWith('SLB DeleteServerCertificate'))).toBe(true);
    }
  }, 240_000);

  it('a plan when nothing is due lists no change and the run makes none', async () => {
    const seeded = await seedListener(h.world, { regionId: REGION, domains: ['fresh.plan.test'], days: 80 });
    const cert = {
      name: 'fresh',
      domains: ['fresh.plan.test'],
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    };
    h.world.emulator.clearCalls();
    const plan = await h.plan([cert]);
    expect(plan.certificates[0]).toMatchObject({ action: 'none', code: 'not-due.window', calls: [] });
    const { records } = await h.run([cert]);
    expect(records[0]?.outcome).toBe('not-due');
    expect(changesMade()).toEqual([]);
    // One certificate listing for the region per run, not one per question asked of it.
    expect(h.world.emulator.callsOf('DescribeServerCertificates')).toHaveLength(2);
  }, 120_000);
});
