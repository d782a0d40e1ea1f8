import { describe, expect, it } from 'vitest';
import type { TargetBinding } from '../../../shared/domain/certificate.js';
import { type PlanInput, planCertificate } from '../../../shared/plan/make-plan.js';
import { aManagedCertificate, aServerCertificate, days, NOW } from '../../support/builders.js';

const listener = (id: string, port = 443): TargetBinding => ({
  target: { kind: 'listener', regionId: 'cn-hangzhou', loadBalancerId: 'lb-1', port },
  serverCertificateId: id,
});

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  const previous = aServerCertificate({ id: 'old', own: 'shop', notBefore: days(-85), notAfter: days(5) });
  return {
    certificate: aManagedCertificate(),
    certificates: [previous],
    bindings: [listener('old')],
    previous,
    note: undefined,
    ari: null,
    referenced: undefined,
    warnings: [],
    ...overrides,
  };
}

describe('planCertificate', () => {
  const fresh = aServerCertificate({ id: 'fresh', own: 'shop', notBefore: days(-10), notAfter: days(80) });
  const cases: {
    name: string;
    input: PlanInput;
    force?: boolean;
    action: string;
    code: string;
    calls: string[];
  }[] = [
    {
      name: 'not due: nothing to do, no calls',
      input: input({ certificates: [fresh], previous: fresh, bindings: [listener('fresh')] }),
      action: 'none',
      code: 'not-due.window',
      calls: [],
    },
    {
      name: 'in the window: order, challenge records, upload, move',
      input: input(),
      action: 'issue',
      code: 'due.window',
      calls: [
        'ACME newOrder',
        'Alidns AddDomainRecord',
        'Alidns DeleteDomainRecord',
        'SLB UploadServerCertificate',
        'SLB SetLoadBalancerHTTPSListenerAttribute',
      ],
    },
    {
      name: 'first issuance without targets: order and upload only',
      input: input({ certificates: [], previous: null, bindings: [] }),
      action: 'issue',
      code: 'due.first-issuance',
      calls: ['ACME newOrder', 'Alidns AddDomainRecord', 'Alidns DeleteDomainRecord', 'SLB UploadServerCertificate'],
    },
    {
      name: 'names the certificate in use does not cover',
      input: input({ certificate: aManagedCertificate({ domains: ['example.com', 'www.example.com'] }) }),
      action: 'issue',
      code: 'due.names-uncovered',
      calls: [
        'ACME newOrder',
        'Alidns AddDomainRecord',
        'Alidns AddDomainRecord',
        'Alidns DeleteDomainRecord',
        'Alidns DeleteDomainRecord',
        'SLB UploadServerCertificate',
        'SLB SetLoadBalancerHTTPSListenerAttribute',
      ],
    },
    {
      name: 'an earlier upload to resume: move only, no order',
      input: input({
        certificates: [aServerCertificate({ id: 'old', own: 'shop', notAfter: days(5) }), fresh],
      }),
      action: 'resume',
      code: 'due.resume',
      calls: ['SLB SetLoadBalancerHTTPSListenerAttribute'],
    },
    {
      name: 'forced: orders even with an upload to resume',
      input: input({ certificates: [aServerCertificate({ id: 'old', own: 'shop', notAfter: days(5) }), fresh] }),
      force: true,
      action: 'issue',
      code: 'due.forced',
      // retain 1 keeps the newer earlier upload for rollback; the replaced one goes.
      calls: [
        'ACME newOrder',
        'Alidns AddDomainRecord',
        'Alidns DeleteDomainRecord',
        'SLB UploadServerCertificate',
        'SLB SetLoadBalancerHTTPSListenerAttribute',
        'SLB DeleteServerCertificate',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planCertificate(c.input, { force: c.force ?? false, now: NOW, certificateQuota: 100 });
      expect(plan.action).toBe(c.action);
      expect(plan.code).toBe(c.code);
      expect(plan.calls.map((x) => `${x.product} ${x.action}`)).toEqual(c.calls);
    });
  }

  it('expired certificates are due with their own code, and renewAt says when the window opened', () => {
    const expired = aServerCertificate({ id: 'old', own: 'shop', notBefore: days(-95), notAfter: days(-5) });
    const plan = planCertificate(input({ certificates: [expired], previous: expired }), {
      force: false,
      now: NOW,
      certificateQuota: 100,
    });
    expect(plan.code).toBe('due.expired');
  });

  it('predicts the pruning of own certificates nothing serves after the move, beyond retain', () => {
    const older = aServerCertificate({ id: 'older', own: 'shop', notBefore: days(-200), notAfter: days(-110) });
    const foreign = aServerCertificate({ id: 'foreign', notAfter: days(-100) });
    const previous = aServerCertificate({ id: 'old', own: 'shop', notBefore: days(-85), notAfter: days(5) });
    const plan = planCertificate(
      input({
        certificate: aManagedCertificate({ retain: 0 }),
        certificates: [previous, older, foreign],
        previous,
        referenced: new Set(['old']),
      }),
      { force: false, now: NOW, certificateQuota: 100 },
    );
    expect(plan.prune.sort()).toEqual(['old', 'older']);
    expect(
      plan.calls.filter((x) => x.action === 'DeleteServerCertificate').map((x) => x.params.ServerCertificateId),
    ).toEqual(plan.prune);
  });

  it('a certificate still served elsewhere is never predicted for pruning', () => {
    const older = aServerCertificate({ id: 'older', own: 'shop', notBefore: days(-200), notAfter: days(-110) });
    const plan = planCertificate(
      input({
        certificate: aManagedCertificate({ retain: 0 }),
        certificates: [input().previous as never, older],
        referenced: new Set(['old', 'older']),
      }),
      { force: false, now: NOW, certificateQuota: 100 },
    );
    expect(plan.prune).toEqual(['old']);
  });
});
