import { describe, expect, it } from 'vitest';
import type { ServerCertificate } from '../../../shared/domain/certificate.js';
import { planPrune } from '../../../shared/policy/retention.js';

const cert = (id: string, expire: number): ServerCertificate => ({
  serverCertificateId: id,
  serverCertificateName: id,
  regionId: 'cn-hangzhou',
  fingerprint: id,
  expireTimeStamp: expire,
  expireTime: '',
  createTimeStamp: expire,
  commonName: undefined,
  subjectAlternativeNames: [],
  tags: {},
});
const own = [cert('c5', 5), cert('c4', 4), cert('c3', 3), cert('c2', 2), cert('c1', 1)];

describe('planPrune', () => {
  const cases = [
    { name: 'keeps current + 1 newest older, deletes the rest', retain: 1, referenced: [], del: ['c3', 'c2', 'c1'] },
    { name: 'retain 0 keeps only the current', retain: 0, referenced: [], del: ['c4', 'c3', 'c2', 'c1'] },
    { name: 'retain 3', retain: 3, referenced: [], del: ['c1'] },
    { name: 'never deletes a referenced certificate', retain: 1, referenced: ['c2'], del: ['c3', 'c1'] },
    { name: 'referenced certificates do not use up the retention', retain: 1, referenced: ['c4'], del: ['c2', 'c1'] },
    { name: 'nothing to delete', retain: 5, referenced: [], del: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planPrune(own, { currentId: 'c5', retain: c.retain, referenced: new Set(c.referenced) });
      expect(plan.delete).toEqual(c.del);
      expect(plan.keep.find((k) => k.serverCertificateId === 'c5')?.why).toBe('current');
      expect(plan.delete).not.toContain('c5');
    });
  }
  it('the current certificate may be newer than all others or not in the list at all', () => {
    expect(planPrune(own, { currentId: 'x', retain: 1, referenced: new Set() }).delete).toEqual([
      'c4',
      'c3',
      'c2',
      'c1',
    ]);
  });
});
