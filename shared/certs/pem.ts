/**
 * PEM parsing and the one layout CLB accepts: LF line ends, no blank lines, no stray spaces, 64-character base64
 * lines (what Node and OpenSSL emit). Errors never quote the input: it may be a private key.
 */
import { CertificateCheckError } from '../errors.js';

export interface PemBlock {
  /** The word(s) after BEGIN, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`. */
  label: string;
  der: Buffer;
  /** RFC 1421 headers (`Proc-Type`, `DEK-Info`), present only on legacy encrypted keys. */
  headers: Record<string, string>;
  /** This block alone, normalised, ending with a newline. */
  pem: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block in `text`, in order. Text outside blocks is ignored (OpenSSL's `subject=` lines, comments). */
export function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let index = 0;
  for (const match of text.matchAll(BLOCK)) {
    index++;
    const [, label = '', inner = '', endLabel = ''] = match;
    if (label !== endLabel) {
      throw new CertificateCheckError(`PEM block ${index}: BEGIN ${label} ends with END ${endLabel}`, {
        code: 'PEM_MALFORMED',
      });
    }
    const headers: Record<string, string> = {};
    const bodyLines: string[] = [];
    for (const raw of inner.split(/\r?\n|\r/)) {
      const line = raw.trim();
      if (line === '') continue;
      const header = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (header && bodyLines.length === 0) {
        headers[header[1] as string] = header[2] as string;
        continue;
      }
      bodyLines.push(line);
    }
    const body = bodyLines.join('').replace(/\s+/g, '');
    if (body === '' || !BASE64.test(body) || body.length % 4 !== 0) {
      throw new CertificateCheckError(`PEM block ${index} (${label}) is not valid base64`, { code: 'PEM_MALFORMED' });
    }
    const der = Buffer.from(body, 'base64');
    blocks.push({ label, der, headers, pem: formatPem(label, der, headers) });
  }
  return blocks;
}

/** One PEM block in the canonical layout. */
export function formatPem(label: string, der: Buffer, headers: Record<string, string> = {}): string {
  const b64 = der.toString('base64');
  const lines = [`-----BEGIN ${label}-----`];
  const headerLines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  if (headerLines.length > 0) lines.push(...headerLines, '');
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(`-----END ${label}-----`);
  return `${lines.join('\n')}\n`;
}

/** Re-emit every block of `text` in the canonical layout, concatenated without blank lines between them. */
export function normalizePem(text: string): string {
  const blocks = splitPem(text);
  if (blocks.length === 0) throw new CertificateCheckError('no PEM block found', { code: 'PEM_MALFORMED' });
  return blocks.map((b) => b.pem).join('');
}

/** The layout problems CLB rejects, as short descriptions (empty when the text is canonical). */
export function pemLayoutProblems(text: string): string[] {
  const problems: string[] = [];
  if (text.includes('\r')) problems.push('contains CR characters (use LF line ends)');
  const lines = text.split(/\r?\n/);
  // A single final newline yields one empty trailing element; anything else empty is a blank line.
  const inner = lines.at(-1) === '' ? lines.slice(0, -1) : lines;
  const blank = inner.findIndex((l) => l.trim() === '');
  if (blank !== -1) problems.push(`blank line at line ${blank + 1}`);
  const spaced = inner.findIndex((l) => l !== l.trim() && l.trim() !== '');
  if (spaced !== -1) problems.push(`leading or trailing whitespace at line ${spaced + 1}`);
  let inBlock = false;
  for (const [i, line] of inner.entries()) {
    if (line.startsWith('-----BEGIN ')) inBlock = true;
    else if (line.startsWith('-----END ')) inBlock = false;
    else if (inBlock && line.length > 64) {
      problems.push(`line ${i + 1} is longer than 64 characters`);
      break;
    }
  }
  return problems;
}
