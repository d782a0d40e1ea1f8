/**
 * RFC 9773 (ACME Renewal Information) certificate identifier. Node's X509Certificate exposes neither the Authority
 * Key Identifier nor the serial's exact DER bytes (its `serialNumber` hex may drop the leading 0x00 that the
 * identifier must keep), so the few fields needed are read from the DER here; Node has already parsed the
 * certificate, so this walk only navigates a structure known to be well formed.
 */
import { X509Certificate } from 'node:crypto';
import { CertificateCheckError } from '../errors.js';
import { splitPem } from './pem.js';

/** id-ce-authorityKeyIdentifier (2.5.29.35), as DER OID content octets. */
const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]);

const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  OID: 0x06,
  SEQUENCE: 0x30,
  VERSION: 0xa0, // [0] EXPLICIT
  ISSUER_UID: 0x81, // [1] IMPLICIT
  SUBJECT_UID: 0x82, // [2] IMPLICIT
  EXTENSIONS: 0xa3, // [3] EXPLICIT
  KEY_IDENTIFIER: 0x80, // [0] IMPLICIT inside AuthorityKeyIdentifier
} as const;

interface Tlv {
  tag: number;
  /** Offset of the first content octet. */
  start: number;
  /** Offset just past the last content octet. */
  end: number;
}

function malformed(what: string): CertificateCheckError {
  return new CertificateCheckError(`certificate DER is malformed (${what}); cannot derive its ARI identifier`, {
    code: 'CERT_MALFORMED',
  });
}

function readTlv(der: Buffer, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw malformed('truncated header');
  const tag = der[offset] as number;
  // Multi-byte tags never occur in the X.509 fields walked here.
  if ((tag & 0x1f) === 0x1f) throw malformed('high tag number');
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    // 0x80 is BER's indefinite length, which DER forbids; more than 4 length octets cannot fit a certificate.
    if (octets === 0 || octets > 4 || start + octets > limit) throw malformed('bad length');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[start + i] as number);
    start += octets;
  }
  const end = start + length;
  if (end > limit) throw malformed('length beyond its container');
  return { tag, start, end };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.start; offset < parent.end;) {
    const tlv = readTlv(der, offset, parent.end);
    out.push(tlv);
    offset = tlv.end;
  }
  return out;
}

function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw malformed(`expected ${what}`);
  return tlv;
}

/** The serial number's INTEGER content octets and the AKI keyIdentifier octets (undefined without either). */
export function ariFields(der: Buffer): { serial: Buffer; keyIdentifier: Buffer | undefined } {
  const cert = expectTag(readTlv(der, 0, der.length), TAG.SEQUENCE, 'Certificate SEQUENCE');
  const tbs = expectTag(children(der, cert)[0], TAG.SEQUENCE, 'TBSCertificate SEQUENCE');
  const fields = children(der, tbs);
  let i = fields[0]?.tag === TAG.VERSION ? 1 : 0;
  const serialTlv = expectTag(fields[i], TAG.INTEGER, 'serialNumber INTEGER');
  const serial = der.subarray(serialTlv.start, serialTlv.end);
  // signature, issuer, validity, subject, subjectPublicKeyInfo
  i += 1 + 5;
  while (fields[i]?.tag === TAG.ISSUER_UID || fields[i]?.tag === TAG.SUBJECT_UID) i++;
  const extensionsWrapper = fields[i];
  if (extensionsWrapper?.tag !== TAG.EXTENSIONS) return { serial, keyIdentifier: undefined };
  const extensions = expectTag(children(der, extensionsWrapper)[0], TAG.SEQUENCE, 'Extensions SEQUENCE');
  for (const ext of children(der, extensions)) {
    const parts = children(der, expectTag(ext, TAG.SEQUENCE, 'Extension SEQUENCE'));
    const oid = expectTag(parts[0], TAG.OID, 'extnID');
    if (!der.subarray(oid.start, oid.end).equals(AKI_OID)) continue;
    const value = expectTag(parts[1]?.tag === TAG.BOOLEAN ? parts[2] : parts[1], TAG.OCTET_STRING, 'extnValue');
    const aki = expectTag(readTlv(der, value.start, value.end), TAG.SEQUENCE, 'AuthorityKeyIdentifier SEQUENCE');
    const keyId = children(der, aki).find((c) => c.tag === TAG.KEY_IDENTIFIER);
    return { serial, keyIdentifier: keyId ? der.subarray(keyId.start, keyId.end) : undefined };
  }
  return { serial, keyIdentifier: undefined };
}

/**
 * The RFC 9773 §4.1 identifier: base64url(AKI keyIdentifier) "." base64url(serial INTEGER content octets), without
 * padding. `leaf` is a parsed certificate or PEM text (its first CERTIFICATE block). Undefined when the certificate
 * has no Authority Key Identifier with a keyIdentifier: such a certificate cannot be named to an ARI server.
 */
export function ariCertId(leaf: X509Certificate | string): string | undefined {
  let der: Buffer;
  if (leaf instanceof X509Certificate) der = leaf.raw;
  else {
    const block = splitPem(leaf).find((b) => b.label === 'CERTIFICATE');
    if (!block) throw new CertificateCheckError('no CERTIFICATE block in the PEM text', { code: 'CHAIN_EMPTY' });
    try {
      der = new X509Certificate(block.der).raw;
    } catch {
      throw new CertificateCheckError('certificate cannot be parsed', { code: 'CERT_MALFORMED' });
    }
  }
  const { serial, keyIdentifier } = ariFields(der);
  if (!keyIdentifier || keyIdentifier.length === 0 || serial.length === 0) return undefined;
  return `${keyIdentifier.toString('base64url')}.${serial.toString('base64url')}`;
}
