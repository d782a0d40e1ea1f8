import { describe, expect, it } from 'vitest';
import type { ServerCertificate } from '../../../shared/domain/certificate.js';
import { factsOf, selectCurrentCertificate } from '../../../shared/policy/current-certificate.js';
import { TAG_NAME, TAG_NOT_BEFORE } from '../../../shared/domain/tags.js';

function cert(id: string, expire: number, tags: Record<string, string> = {}, created = 1): ServerCertificate {
  return {
    serverCertificateId: id,
    serverCertificateName: id,
    regionId: 'cn-hangzhou',
    fingerprint: id,
    expireTimeStamp: expire,
    expireTime: new Date(expire).toISOString(),
    createTimeStamp: created,
    commonName: 'Example.com',
    subjectAlternativeNames: ['example.com', 'www.example.com'],
    tags,
  };
}
const listener = (port: number, id: string) => ({
  target: { kind: 'listener' as const, regionId: 'cn-hangzhou', loadBalancerId: 'lb-1', port },
  serverCertificateId: id,
});

describe('selectCurrentCertificate', () => {
  const certs = [
    cert('a', 3000),
    cert('b', 2000),
    cert('own-old', 1000, { [TAG_NAME]: 'www' }),
    cert('own-new', 5000, { [TAG_NAME]: 'www' }),
    cert('other', 9000, { [TAG_NAME]: 'api' }),
  ];
  const cases = [
    { name: 'the bound certificate', bindings: [listener(443, 'a')], expect: { kind: 'bound', id: 'a' } },
    {
      name: 'targets disagree: the one expiring first',
      bindings: [listener(443, 'a'), listener(8443, 'b')],
      expect: { kind: 'bound', id: 'b' },
    },
    { name: 'bound to an unknown id', bindings: [listener(443, 'zzz')], expect: { kind: 'missing' } },
    {
      name: 'no targets: newest own certificate of that name',
      bindings: [],
      expect: { kind: 'newest-own', id: 'own-new' },
    },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const s = selectCurrentCertificate('www', certs, c.bindings);
      expect(s.kind).toBe(c.expect.kind);
      if ('id' in c.expect && 'certificate' in s) expect(s.certificate.serverCertificateId).toBe(c.expect.id);
    });
  }
  it('no targets and nothing of our own: none (never adopts foreign certificates)', () => {
    expect(selectCurrentCertificate('www', [cert('a', 1)], []).kind).toBe('none');
  });
  it('notes when targets serve different certificates', () => {
    const s = selectCurrentCertificate('www', certs, [listener(443, 'a'), listener(8443, 'b')]);
    expect(s.kind === 'bound' && s.note).toMatch(/2 different certificates/);
  });
});

describe('factsOf', () => {
  it('reads notBefore from our tag and merges CN and SANs lower-cased', () => {
    const f = factsOf(cert('x', 5000, { [TAG_NOT_BEFORE]: '2026-01-01T00:00:00.000Z' }, 4000));
    expect(f.notBefore?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(f.uploadedAt?.getTime()).toBe(4000);
    expect(f.names.sort()).toEqual(['example.com', 'www.example.com']);
  });
  it('has no notBefore for foreign certificates', () => {
    expect(factsOf(cert('x', 5000)).notBefore).toBeUndefined();
  });
});
