/**
 * Redaction by value: every secret the process holds (cloud credentials, signatures it computed, webhook tokens,
 * ACME account and EAB keys) is registered here where it is loaded, and `redact` scrubs it from any text, whatever
 * shape the text has (a JSON echo, a plain-text echo, a URL). The shape-based rules in `redact.ts` stay as a second
 * line for secrets the process never held (e.g. a token in a foreign error body).
 *
 * Each value is stored together with the forms it takes on the way out (percent-encoded once and twice, JSON-escaped,
 * base64), and every form is indexed by its first characters, so scrubbing is one pass over the text whatever the
 * number of registered values: a Function Compute instance stays warm for many runs, and each request adds a
 * signature.
 */

/** Values shorter than this are not registered: scrubbing a 3-character string would mangle ordinary text. */
const MIN_LENGTH = 8;
/** The lines of a PEM body are registered one by one (an echo may cut or re-wrap the block); shorter ones say little. */
const MIN_PEM_LINE = 16;
/**
 * Signatures are single-use (the nonce) and only ever show up in the answer to their own request, so the last few
 * hundred are plenty; keeping every one would grow without bound in a warm instance.
 */
const TRANSIENT_CAPACITY = 256;
const REPLACEMENT = '[redacted]';

/** Long-lived values (credentials, keys, tokens) and the forms each was indexed under. */
const lasting = new Map<string, string[]>();
/** Short-lived values (signatures), oldest first. */
const transient = new Map<string, string[]>();
/** First three characters of a form → the forms starting with them, longest first. */
const index = new Map<number, string[]>();
/** How many registered values share a form (a secret registered twice, or as both kinds). */
const formUses = new Map<string, number>();

export function registerSecret(value: string | undefined | null): void {
  for (const v of valuesToRegister(value)) {
    if (lasting.has(v)) continue;
    const fromTransient = transient.get(v);
    if (fromTransient) {
      // Promoted: the forms are already indexed, only the owner changes.
      transient.delete(v);
      lasting.set(v, fromTransient);
      continue;
    }
    lasting.set(v, indexForms(v));
  }
}

/** A value that is secret only for a short while, such as a request signature: only the most recent are kept. */
export function registerTransientSecret(value: string | undefined | null): void {
  for (const v of valuesToRegister(value)) {
    if (lasting.has(v) || transient.has(v)) continue;
    transient.set(v, indexForms(v));
    if (transient.size > TRANSIENT_CAPACITY) {
      const [oldest, forms] = transient.entries().next().value as [string, string[]];
      transient.delete(oldest);
      unindexForms(forms);
    }
  }
}

/** The registered values, longest first, so a secret that contains another is replaced whole. */
export function registeredSecrets(): string[] {
  return [...lasting.keys(), ...transient.keys()].sort((a, b) => b.length - a.length);
}

/** Replaces every registered value, in any of its indexed forms, with `[redacted]`. One pass over the text. */
export function scrubRegisteredSecrets(text: string): string {
  if (index.size === 0 || text.length < MIN_LENGTH) return text;
  let out = '';
  let copied = 0;
  let i = 0;
  const last = text.length - MIN_LENGTH;
  while (i <= last) {
    const bucket = index.get(prefixKey(text, i));
    let hit = 0;
    if (bucket) {
      for (const form of bucket) {
        if (text.startsWith(form, i)) {
          hit = form.length;
          break;
        }
      }
    }
    if (hit === 0) {
      i++;
      continue;
    }
    out += text.slice(copied, i) + REPLACEMENT;
    i += hit;
    copied = i;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Tests only. */
export function clearRegisteredSecrets(): void {
  lasting.clear();
  transient.clear();
  index.clear();
  formUses.clear();
}

function valuesToRegister(value: string | undefined | null): string[] {
  if (typeof value !== 'string') return [];
  const v = value.trim();
  if (v.length < MIN_LENGTH) return [];
  if (!v.includes('-----BEGIN ')) return [v];
  // A key in PEM form: the whole block, its body without line breaks (a re-wrapped or JSON-flattened echo), and each
  // body line (a truncated echo).
  const body = v
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('-----') && !l.includes(':'));
  return [v, body.join(''), ...body.filter((l) => l.length >= MIN_PEM_LINE)].filter((s) => s.length >= MIN_LENGTH);
}

/** The forms a value takes in the texts that leave the process: URLs and form bodies, JSON, base64 headers. */
function formsOf(v: string): string[] {
  const forms = new Set<string>([v]);
  // A form decoder that treats `+` as a space (a common server mistake) echoes base64 that way.
  if (v.includes('+')) forms.add(v.replaceAll('+', ' '));
  const json = JSON.stringify(v).slice(1, -1);
  forms.add(json);
  forms.add(json.replaceAll('/', '\\/'));
  const uri = encodeURIComponent(v);
  // pop-core (and the signature v1 canonical form) also percent-encodes ! ' ( ) *.
  const rfc3986 = uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  for (const once of [uri, rfc3986, uri.replaceAll('%20', '+')]) {
    forms.add(once);
    forms.add(encodeURIComponent(once)); // a string to sign, or a URL inside a query
  }
  for (const f of [...forms]) if (f.includes('%')) forms.add(f.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  const base64 = Buffer.from(v, 'utf8').toString('base64');
  forms.add(base64);
  forms.add(base64.replace(/=+$/, ''));
  forms.add(Buffer.from(v, 'utf8').toString('base64url'));
  return [...forms].filter((f) => f.length >= MIN_LENGTH);
}

function indexForms(v: string): string[] {
  const forms = formsOf(v);
  for (const form of forms) {
    const uses = formUses.get(form) ?? 0;
    formUses.set(form, uses + 1);
    if (uses > 0) continue;
    const key = prefixKey(form, 0);
    const bucket = index.get(key);
    if (!bucket) index.set(key, [form]);
    else {
      bucket.push(form);
      bucket.sort((a, b) => b.length - a.length);
    }
  }
  return forms;
}

function unindexForms(forms: readonly string[]): void {
  for (const form of forms) {
    const uses = (formUses.get(form) ?? 1) - 1;
    if (uses > 0) {
      formUses.set(form, uses);
      continue;
    }
    formUses.delete(form);
    const key = prefixKey(form, 0);
    const bucket = index.get(key)?.filter((f) => f !== form) ?? [];
    if (bucket.length === 0) index.delete(key);
    else index.set(key, bucket);
  }
}

/** Three UTF-16 code units as one number: a Map lookup per text position without allocating a substring. */
function prefixKey(text: string, at: number): number {
  return text.charCodeAt(at) * 4294967296 + text.charCodeAt(at + 1) * 65536 + text.charCodeAt(at + 2);
}
