/**
 * Builders for unit tests of the plan and the executor: certificates, managed-certificate configurations and issued
 * certificates with sensible defaults, each overridable. Fingerprints are plain hex strings; `fakePem` carries them so
 * the in-memory load balancer can report what was "uploaded" without parsing X.509.
 */
import type { ManagedCertificate } from '../../shared/config/types.js';
import type { IssuedCertificate, ServerCertificate } from '../../shared/domain/certificate.js';
import { TAG_NAME, TAG_NOT_BEFORE, TAG_SHA1, TAG_SHA256 } from '../../shared/domain/tags.js';

export const NOW = new Date('2026-11-22T00:00:00Z');
export const DAY = 86_400_000;
export const days = (n: number): Date => new Date(NOW.getTime() + n * DAY);

let counter = 0;
const hex = (seed: string, length: number) =>
  Buffer.from(seed.repeat(Math.ceil(length / seed.length / 2) + 1))
    .toString('hex')
    .slice(0, length);

export function aManagedCertificate(overrides: Partial<ManagedCertificate> = {}): ManagedCertificate {
  return {
    name: 'shop',
    domains: ['example.com'],
    region: 'cn-hangzhou',
    keyType: 'rsa-2048',
    renewal: { remainingFraction: 1 / 3, spread: 0 },
    listeners: [{ loadBalancerId: 'lb-1', port: 443 }],
    domainExtensions: [],
    byReference: false,
    retain: 1,
    ...overrides,
  };
}

/** A certificate as SLB lists it. `own` tags it as the rotator's (for `name`), with matching fingerprint tags. */
export function aServerCertificate(
  options: {
    id?: string;
    names?: string[];
    notBefore?: Date;
    notAfter?: Date;
    own?: string;
    fingerprint?: string;
  } = {},
): ServerCertificate {
  const id = options.id ?? `cert-${++counter}`;
  const sha1 = options.fingerprint ?? hex(id, 40);
  const notBefore = options.notBefore ?? days(-60);
  const notAfter = options.notAfter ?? days(30);
  const names = options.names ?? ['example.com'];
  return {
    serverCertificateId: id,
    serverCertificateName: id,
    regionId: 'cn-hangzhou',
    fingerprint: sha1,
    expireTimeStamp: notAfter.getTime(),
    expireTime: notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    createTimeStamp: notBefore.getTime(),
    commonName: names[0],
    subjectAlternativeNames: names,
    tags: options.own
      ? {
          [TAG_NAME]: options.own,
          [TAG_NOT_BEFORE]: notBefore.toISOString(),
          [TAG_SHA1]: sha1,
          [TAG_SHA256]: hex(`${id}256`, 64),
        }
      : {},
  };
}

/** What the CA "issues": `fakePem` encodes the fingerprint and notAfter for the in-memory load balancer. */
export function anIssuedCertificate(
  options: { names?: string[]; notAfter?: Date; sha1?: string } = {},
): IssuedCertificate {
  const sha1 = options.sha1 ?? hex(`issued-${++counter}`, 40);
  const notAfter = options.notAfter ?? days(90);
  return {
    certificatePem: fakePem(sha1, notAfter),
    privateKeyPem: 'not a key',
    sha1,
    sha256: hex(`${sha1}-256`, 64),
    notBefore: NOW,
    notAfter,
    serialNumber: '01',
    dnsNames: options.names ?? ['example.com'],
  };
}

export function fakePem(sha1: string, notAfter: Date): string {
  return `FAKE ${sha1} ${notAfter.toISOString()}`;
}

export function parseFakePem(pem: string): { sha1: string; notAfter: Date } {
  const [, sha1, notAfter] = pem.split(' ');
  return { sha1: sha1 as string, notAfter: new Date(notAfter as string) };
}
