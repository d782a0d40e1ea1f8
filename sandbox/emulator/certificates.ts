import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { ApiError } from './errors.js';

/**
 * UploadServerCertificate's input rules, from the 2021 "Certificate requirements" doc: PEM only, no blank lines,
 * no spaces, 64-character lines, RSA keys in PKCS#1, no encrypted keys, EC keys only in eu-west-1 (whether that still
 * holds is UNCONFIRMED). The error codes for format problems are InvalidParameter with the documented "…format is
 * error" wording; the exact message text is paraphrased. Messages point at line numbers, never at key content.
 */

export interface ValidatedCertificate {
  /** Leaf first, then intermediates, normalised to LF with one trailing newline. */
  chainPem: string;
  privateKeyPem: string;
  leaf: X509Certificate;
  keyType: 'rsa' | 'ec';
  /** SHA-1 of the leaf DER, lowercase hex with colons (the doc examples' form; SHA-1 is UNCONFIRMED). */
  fingerprint: string;
  /** Leaf notAfter in epoch ms (that SLB reports exactly notAfter is UNCONFIRMED, consistent with the examples). */
  expireTimeStamp: number;
  commonName: string;
  subjectAlternativeNames: string[];
}

/** Only region where EC keys were accepted per the 2021 doc ("UK (London)"); UNCONFIRMED today. */
export const EC_KEY_REGIONS: ReadonlySet<string> = new Set(['eu-west-1']);

function certFormatError(detail: string): ApiError {
  return new ApiError('InvalidParameter', `The specified ServerCertificate format is error. (emulator: ${detail})`);
}

function keyFormatError(detail: string): ApiError {
  return new ApiError('InvalidParameter', `The specified PrivateKey format is error. (emulator: ${detail})`);
}

interface PemBlock {
  label: string;
  headers: string[];
  text: string;
}

/** Splits into lines and enforces the whitespace rules shared by the certificate and the key. */
function strictLines(text: string, fail: (detail: string) => ApiError): string[] {
  const normalised = text.replace(/\r\n/g, '\n');
  const lines = normalised.split('\n');
  // One newline at the very end is not a blank line.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === '') throw fail(`blank line at line ${i + 1}; the value must not contain blank lines`);
    if (/\s/.test(line.replace(/^-----(BEGIN|END) [A-Z0-9 ]+-----$/, ''))) {
      throw fail(`whitespace inside line ${i + 1}`);
    }
  });
  return lines;
}

function parseBlocks(lines: string[], fail: (detail: string) => ApiError): PemBlock[] {
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(lines[i] ?? '');
    if (!begin) throw fail(`line ${i + 1} is outside a PEM block`);
    const label = begin[1] ?? '';
    const start = i;
    const headers: string[] = [];
    const body: string[] = [];
    i += 1;
    while (i < lines.length && lines[i] !== `-----END ${label}-----`) {
      const line = lines[i] ?? '';
      if (line.includes(':')) headers.push(line);
      else {
        if (!/^[A-Za-z0-9+/=]+$/.test(line)) throw fail(`line ${i + 1} is not base64`);
        if (line.length > 64) throw fail(`line ${i + 1} is longer than 64 characters`);
        body.push(line);
      }
      i += 1;
    }
    if (i >= lines.length) throw fail(`PEM block starting at line ${start + 1} has no END line`);
    if (body.length === 0) throw fail(`PEM block starting at line ${start + 1} is empty`);
    blocks.push({ label, headers, text: `${lines.slice(start, i + 1).join('\n')}\n` });
    i += 1;
  }
  if (blocks.length === 0) throw fail('no PEM block');
  return blocks;
}

export function parseCertificateChain(pem: string): { chainPem: string; certificates: X509Certificate[] } {
  const blocks = parseBlocks(strictLines(pem, certFormatError), certFormatError);
  const certificates = blocks.map((b, n) => {
    if (b.label !== 'CERTIFICATE' || b.headers.length > 0)
      throw certFormatError(`PEM block ${n + 1} is not a CERTIFICATE`);
    try {
      return new X509Certificate(b.text);
    } catch {
      throw certFormatError(`certificate ${n + 1} does not parse`);
    }
  });
  return { chainPem: blocks.map((b) => b.text).join(''), certificates };
}

export function parsePrivateKey(pem: string, regionId: string): { pem: string; key: KeyObject; keyType: 'rsa' | 'ec' } {
  // Encryption is detected before the line rules: an encrypted PKCS#1 key has a blank line after DEK-Info, and the
  // documented answer for it is PrivateKeyEncryption, not a format error.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new ApiError('PrivateKeyEncryption', 'The private key is encrypted; upload an unencrypted key.');
  }
  const blocks = parseBlocks(strictLines(pem, keyFormatError), keyFormatError);
  if (blocks.length !== 1) throw keyFormatError('expected exactly one PEM block');
  const block = blocks[0] as PemBlock;
  let keyType: 'rsa' | 'ec';
  if (block.label === 'RSA PRIVATE KEY') keyType = 'rsa';
  else if (block.label === 'EC PRIVATE KEY') keyType = 'ec';
  else if (block.label === 'PRIVATE KEY') {
    throw keyFormatError('PKCS#8 "BEGIN PRIVATE KEY" is not accepted; RSA keys must be PKCS#1 "BEGIN RSA PRIVATE KEY"');
  } else throw keyFormatError(`unsupported PEM label "${block.label}"`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: block.text, format: 'pem' });
  } catch {
    throw keyFormatError('the key does not parse');
  }
  if (key.asymmetricKeyType !== keyType) throw keyFormatError('the key type does not match its PEM label');
  if (keyType === 'ec' && !EC_KEY_REGIONS.has(regionId)) {
    // Code UNCONFIRMED.
    throw new ApiError(
      'InvalidParameter',
      `EC certificates are not supported in region ${regionId}; use an RSA key (EC only in eu-west-1).`,
    );
  }
  return { pem: block.text, key, keyType };
}

function commonNameOf(cert: X509Certificate): string {
  for (const line of cert.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return '';
}

function dnsNamesOf(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  if (!san) return [];
  return san
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4).replace(/^"|"$/g, ''));
}

export function validateCertificateUpload(
  certificatePem: string,
  privateKeyPem: string,
  regionId: string,
): ValidatedCertificate {
  if (certificatePem.trim() === '' || privateKeyPem.trim() === '') {
    throw new ApiError('InvalidParameter', 'ServerCertificate or Key is empty.');
  }
  const { chainPem, certificates } = parseCertificateChain(certificatePem);
  const leaf = certificates[0] as X509Certificate;
  const { pem: keyPem, key, keyType } = parsePrivateKey(privateKeyPem, regionId);
  if (!leaf.checkPrivateKey(key)) {
    throw new ApiError('CertificateNotMatchPrivateKey', 'The certificate and private key do not match.');
  }
  return {
    chainPem,
    privateKeyPem: keyPem,
    leaf,
    keyType,
    fingerprint: leaf.fingerprint.toLowerCase(),
    expireTimeStamp: Date.parse(leaf.validTo),
    commonName: commonNameOf(leaf),
    subjectAlternativeNames: dnsNamesOf(leaf),
  };
}

/** UploadServerCertificate's name rule: 1–80 chars, starts with a letter, `[A-Za-z0-9._-]`. */
export const UPLOAD_NAME_RE = /^[A-Za-z][A-Za-z0-9._-]{0,79}$/;
/** SetServerCertificateName's documented character set is wider: `A-Za-z0-9 - / . _ *`, 1–80. */
export const RENAME_NAME_RE = /^[A-Za-z0-9\-/._*]{1,80}$/;
