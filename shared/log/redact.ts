import { scrubRegisteredSecrets } from './secret-values.js';

/**
 * Every text that leaves the process (log lines, outcome records, HTTP answers, error messages) goes through here.
 * First the secrets the process holds are removed by value, in whatever form they were echoed
 * (`secret-values.ts`); then the shape rules below catch what the process never held: a token in a foreign error
 * body, a URL with signed parameters, PEM material. Every rule is linear in the text: no nested quantifiers.
 */
const PATTERNS: [RegExp, string][] = [
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, '[pem redacted]'],
  [
    /\b(AccessKeyId|AccessKeySecret|SecurityToken|Signature|SignatureNonce|PrivateKey|ServerCertificate|Value)=[^&\s"']*/gi,
    '$1=[redacted]',
  ],
  // The same parameters percent-encoded once or twice (`SecurityToken%3DCAIS…%26`), as in a string to sign.
  [
    /(AccessKeyId|AccessKeySecret|SecurityToken|Signature|SignatureNonce|PrivateKey|ServerCertificate)(%3D|%253D)[^&\s"']*?(?=%26|%2526|&|\s|"|'|$)/gi,
    '$1$2[redacted]',
  ],
  // The same parameters as JSON members or `key: value` lines (an echoed request), quotes escaped or not.
  [
    /\b(AccessKeyId|AccessKeySecret|SecurityToken|Signature|SignatureNonce|PrivateKey)(\\?"?[ \t]*:[ \t]*\\?"?)[^\s"'&,}\\]+/gi,
    '$1$2[redacted]',
  ],
  [/\bhttps?:\/\/[^\s"'?]+\?[^\s"']*/g, '[url redacted]'],
  [/STS\.[A-Za-z0-9]{8,}/g, 'STS.[redacted]'],
  [/\bLTAI[A-Za-z0-9]{8,}/g, 'LTAI[redacted]'],
];

export function redact(text: string): string {
  let out = scrubRegisteredSecrets(text);
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** Deeper than any record or log object the project writes; a guard against pathological input, not a limit. */
const MAX_DEPTH = 12;

/**
 * `redact` applied to every string in a value that is about to be serialized (a log object, an outcome record, an
 * HTTP body). Plain objects and arrays are copied only where a string changed; errors become `{name, message}` (their
 * `toJSON` view when they have one: never a stack or an SDK's request); any other object is walked like
 * JSON.stringify walks it (own enumerable properties). Returns the JSON-equivalent value, so its type is `unknown`.
 */
export function redactDeep(value: unknown): unknown {
  return redactValue(value, new Set(), 0);
}

function redactValue(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (ancestors.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  ancestors.add(value);
  try {
    const withToJson = value as { toJSON?: unknown };
    if (typeof withToJson.toJSON === 'function') {
      return redactValue((withToJson.toJSON as () => unknown).call(value), ancestors, depth + 1);
    }
    if (value instanceof Error) {
      const code = (value as { code?: unknown }).code;
      return {
        name: value.name,
        message: redact(value.message),
        ...(typeof code === 'string' ? { code: redact(code) } : {}),
      };
    }
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const v = redactValue(value[i], ancestors, depth + 1);
        if (v !== value[i]) {
          copy ??= value.slice();
          copy[i] = v;
        }
      }
      return copy ?? value;
    }
    let copy: Record<string, unknown> | undefined;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const v = redactValue(record[key], ancestors, depth + 1);
      if (v !== record[key]) {
        copy ??= { ...record };
        copy[key] = v;
      }
    }
    return copy ?? value;
  } finally {
    ancestors.delete(value);
  }
}
