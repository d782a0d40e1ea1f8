/**
 * Many self-signed RSA certificates in little time, for seeding large inventories: one RSA-2048 key shared by every
 * seed in the process (generating a key per certificate would cost ~100 ms each) and a minimal X.509 v3 encoder,
 * since Node can parse certificates but not create them and an openssl process per certificate is ~20× slower. CLB accepts RSA keys only
 * (EC in one region at most) and only in PKCS#1 form, so that is what this returns.
 */
import { generateKeyPair, type KeyObject, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';

const DAY_MS = 86_400_000;

export interface SeedCertificate {
  certificatePem: string;
  /** PKCS#1, the form UploadServerCertificate accepts for RSA. */
  privateKeyPem: string;
}

export interface SeedCertificateFactory {
  /** A leaf for `domains` (the first is the CN) valid from `now - 1 day` until `now + daysLeft`. */
  make(domains: string[], daysLeft: number, now?: number): SeedCertificate;
}

let sharedKey: Promise<{ privateKey: KeyObject; publicKey: KeyObject }> | undefined;

/** The key is made once per process (off the event loop, which may be serving the emulator) and shared. */
export async function seedCertificateFactory(): Promise<SeedCertificateFactory> {
  sharedKey ??= promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const { privateKey, publicKey } = await sharedKey;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    make: (domains, daysLeft, now = Date.now()) => ({
      certificatePem: selfSigned(privateKey, spki, domains, now - DAY_MS, now + daysLeft * DAY_MS),
      privateKeyPem,
    }),
  };
}

function selfSigned(key: KeyObject, spki: Buffer, domains: string[], notBefore: number, notAfter: number): string {
  const cn = domains[0];
  if (!cn) throw new Error('a seed certificate needs at least one domain');
  const sha256WithRsa = seq(oid('1.2.840.113549.1.1.11'), tlv(0x05, Buffer.alloc(0)));
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn.replace(/^\*\./, ''), 'utf8')))));
  // DER INTEGERs are minimal and signed: a first byte of 0x40-0x7f is neither negative nor a redundant leading zero
  // (which strict parsers, the emulator's included, reject).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  const san = seq(...domains.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))));
  const extensions = tlv(
    0xa3,
    seq(seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq())), seq(oid('2.5.29.17'), tlv(0x04, san))),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    sha256WithRsa,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, key);
  const der = seq(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const v of rest) {
    const group = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) group.unshift(0x80 | (x & 0x7f));
    out.push(...group);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime up to 2049, GeneralizedTime after, as RFC 5280 requires. */
function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString();
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = new Date(ms).getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}
