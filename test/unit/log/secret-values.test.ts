import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { redact } from '../../../shared/log/redact.js';
import {
  clearRegisteredSecrets,
  registeredSecrets,
  registerSecret,
  registerTransientSecret,
  scrubRegisteredSecrets,
} from '../../../shared/log/secret-values.js';

beforeEach(() => clearRegisteredSecrets());

// Fake values shaped like the real ones: `+`, `/` and `=` make each encoding differ from the raw value.
const SECRET = 'wJalrXUtn+FEMI/K7MDENG=bPxRfiCY';
const TOKEN = 'CAIS8gF1q6Ft5B2yfSjIr5bSLtzBl+Ia0ZeGOWDw1EUhXeRo/qnS1fd5/6ZbOJMyRAj/4==';

describe('redaction by value', () => {
  const forms: [string, (v: string) => string][] = [
    ['raw', (v) => v],
    ['percent-encoded once', (v) => encodeURIComponent(v)],
    ['percent-encoded twice', (v) => encodeURIComponent(encodeURIComponent(v))],
    [
      'percent-encoded in lower-case hex',
      (v) => encodeURIComponent(v).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    ],
    ['form-decoded with + as a space', (v) => v.replaceAll('+', ' ')],
    ['JSON-escaped', (v) => JSON.stringify(v).slice(1, -1)],
    ['JSON-escaped with \\/', (v) => JSON.stringify(v).slice(1, -1).replaceAll('/', '\\/')],
    ['base64', (v) => Buffer.from(v).toString('base64')],
    ['base64url', (v) => Buffer.from(v).toString('base64url')],
  ];
  for (const [name, form] of forms) {
    it(`removes a registered value ${name}, wherever it is in the text`, () => {
      registerSecret(TOKEN);
      const text = `upstream said: ${form(TOKEN)}; and again at the end:${form(TOKEN)}`;
      expect(text).toContain(form(TOKEN));
      const out = redact(text);
      expect(out).toBe('upstream said: [redacted]; and again at the end:[redacted]');
    });
  }

  it('removes it in a shape no rule knows (no parameter name, no URL)', () => {
    registerSecret(SECRET);
    const echoed = `{"detail":{"k":"${SECRET}"}}\nk | ${SECRET} |`;
    expect(redact(echoed)).toBe('{"detail":{"k":"[redacted]"}}\nk | [redacted] |');
  });

  it('replaces a secret that contains another one whole', () => {
    registerSecret('abcdefgh12');
    registerSecret('xxabcdefgh12yy');
    expect(scrubRegisteredSecrets('1 xxabcdefgh12yy 2 abcdefgh12 3')).toBe('1 [redacted] 2 [redacted] 3');
  });

  it('ignores values too short to be secrets, and leaves text without secrets as it is', () => {
    registerSecret('abc');
    registerSecret('  ');
    registerSecret(undefined);
    registerSecret(SECRET);
    expect(registeredSecrets()).toEqual([SECRET]);
    const text = 'abc: nothing secret here';
    expect(scrubRegisteredSecrets(text)).toBe(text);
  });

  it('trims what it registers', () => {
    registerSecret(`  ${SECRET}\n`);
    expect(scrubRegisteredSecrets(`x${SECRET}x`)).toBe('x[redacted]x');
  });

  it('registers a PEM key whole, as one line, and line by line (a re-wrapped or flattened echo)', () => {
    const lines = [
      'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
      'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
    ];
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${lines.join('\n')}\n-----END RSA PRIVATE KEY-----\n`;
    registerSecret(pem);
    // Trimmed when registered: the final line break stays.
    expect(scrubRegisteredSecrets(`key ${JSON.stringify(pem)} end`)).toBe('key "[redacted]\\n" end');
    expect(scrubRegisteredSecrets(`flattened ${lines.join('')}`)).toBe('flattened [redacted]');
    expect(scrubRegisteredSecrets(`one line: ${lines[0]}`)).toBe('one line: [redacted]');
  });

  it('keeps the most recent transient values (signatures) and forgets the oldest', () => {
    const signatures = Array.from({ length: 300 }, (_, i) => `sig${String(i).padStart(4, '0')}+abc/def=`);
    for (const s of signatures) registerTransientSecret(s);
    expect(scrubRegisteredSecrets(`newest ${signatures[299]}`)).toBe('newest [redacted]');
    expect(scrubRegisteredSecrets(`kept ${signatures[44]}`)).toBe('kept [redacted]');
    expect(scrubRegisteredSecrets(`forgotten ${signatures[43]}`)).toBe(`forgotten ${signatures[43]}`);
    expect(registeredSecrets()).toHaveLength(256);
  });

  it('never forgets a long-lived value, even when a transient one equals it or shares its forms', () => {
    registerSecret(SECRET);
    registerTransientSecret(SECRET);
    for (let i = 0; i < 300; i++) registerTransientSecret(`filler-${i}-signature`);
    expect(scrubRegisteredSecrets(`still ${SECRET}`)).toBe('still [redacted]');
    // A transient value later registered as long-lived stays too.
    clearRegisteredSecrets();
    registerTransientSecret(TOKEN);
    registerSecret(TOKEN);
    for (let i = 0; i < 300; i++) registerTransientSecret(`filler-${i}-signature`);
    expect(scrubRegisteredSecrets(`still ${TOKEN}`)).toBe('still [redacted]');
  });

  it('costs one pass over the text, however many values are registered', () => {
    const random = () => randomBytes(20).toString('base64');
    const values = [...Array.from({ length: 40 }, random), ...Array.from({ length: 256 }, random)];
    // Near misses: the start of every registered value, so each lookup finds candidates that then fail.
    const text = `${values.map((v) => v.slice(0, 6)).join(' ')} `.repeat(150) + values[0];
    const fastest = () => {
      let best = Infinity;
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        expect(scrubRegisteredSecrets(text).endsWith('[redacted]')).toBe(true);
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    registerSecret(values[0]);
    const withOne = fastest();
    for (const v of values.slice(1, 40)) registerSecret(v);
    for (const v of values.slice(40)) registerTransientSecret(v);
    const withAll = fastest();
    // 296 values in about 3,000 forms: a scan per form would take some 300 times as long as with one value.
    expect(withAll).toBeLessThan(withOne * 10 + 50);
  });
});
