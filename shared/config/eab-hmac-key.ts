/**
 * The External Account Binding MAC key a CA hands out (RFC 8555 §7.3.4) is base64url without padding; acme-client
 * decodes it with `Buffer.from(key, 'base64')`, which silently skips characters outside the alphabet. A pasted PEM,
 * a key id in the wrong field or a value with a stray quote would therefore become a different key and fail every
 * run at the CA with an unhelpful "unauthorized". Checking the shape here turns that into a configuration error.
 */

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Below this the value is not a key a CA would issue (ZeroSSL and Google hand out 32 bytes and more). */
const MIN_KEY_BYTES = 16;
/** HMAC-SHA256 hashes longer keys anyway; anything this long is a wrong file, not a key. */
const MAX_KEY_CHARS = 1024;

/** Why `value` (already trimmed) cannot be an EAB HMAC key, or undefined. Describes the value, never quotes it. */
export function eabHmacKeyProblem(value: string): string | undefined {
  if (value.length > MAX_KEY_CHARS) {
    return `holds ${value.length} characters; an EAB HMAC key is a short base64url string`;
  }
  if (value.includes('-----BEGIN')) return 'holds a PEM block; an EAB HMAC key is a short base64url string';
  if (!BASE64URL.test(value)) {
    const bad = /\s/.test(value)
      ? 'whitespace'
      : /[+/]/.test(value)
        ? '"+" or "/" (base64, not base64url)'
        : 'a character outside A-Z a-z 0-9 - _';
    return `is not base64url: it contains ${bad}`;
  }
  const unpadded = value.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return 'is not base64url: its length is not possible for base64url';
  const bytes = Math.floor((unpadded.length * 3) / 4);
  if (bytes < MIN_KEY_BYTES) return `decodes to ${bytes} bytes; an EAB HMAC key has at least ${MIN_KEY_BYTES}`;
  return undefined;
}
