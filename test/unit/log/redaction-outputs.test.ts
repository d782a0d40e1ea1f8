/**
 * Every place text leaves the process scrubs registered secrets: log lines (any field, the message, child bindings,
 * errors), outcome records (both sinks), errors when they are built, and the credentials are registered where they
 * are read.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudApiError, ConfigError, RotatorError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log/logger.js';
import { jsonLineSink, memorySink } from '../../../shared/log/outcome-sink.js';
import { redactDeep } from '../../../shared/log/redact.js';
import { clearRegisteredSecrets, registeredSecrets, registerSecret } from '../../../shared/log/secret-values.js';
import type { OutcomeRecord } from '../../../shared/rotation/outcome.js';
import { credentialsFromEnvironment, credentialsFromFcContext } from '../../../shared/runtime/credentials.js';

const SECRET = 'Zq3+tokenValue/abc=123';
// The field name is misspelt on purpose: no shape rule knows it, only the registered value can be found.
const ECHO = `echo {"SecurityTokn":"${SECRET}"} | ${encodeURIComponent(SECRET)}`;

beforeEach(() => {
  clearRegisteredSecrets();
  registerSecret(SECRET);
});

function logText(write: (logger: ReturnType<typeof createLogger>) => void): string {
  let text = '';
  const logger = createLogger({ fd: 2, level: 'debug', stream: { write: (line) => void (text += line) } });
  write(logger);
  return text;
}

describe('log lines', () => {
  it('scrub every string field, however deep and whatever its name', () => {
    const text = logText((l) =>
      l.info({ detail: ECHO, nested: { list: [{ answer: ECHO }], n: 1 }, ok: true }, 'call answered'),
    );
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(encodeURIComponent(SECRET));
    const line = JSON.parse(text) as { detail: string; nested: { list: { answer: string }[]; n: number }; ok: boolean };
    expect(line.detail).toBe('echo {"SecurityTokn":"[redacted]"} | [redacted]');
    expect(line.nested.n).toBe(1);
    expect(line.ok).toBe(true);
  });

  it('scrub the message, the bindings of a child, and errors (given as a field or on their own)', () => {
    const text = logText((l) => {
      l.warn({}, `message ${ECHO}`);
      l.child({ request: { token: SECRET } }).info({}, 'from a child');
      l.error({ err: new Error(`foreign ${ECHO}`) }); // pino takes msg from err.message
      l.error({ cause: new TypeError(ECHO) }, 'an error under another name');
      l.error({ err: new RotatorError('gather', `ours ${ECHO}`) }, 'ours');
    });
    expect(text).not.toContain(SECRET);
    expect(text.split('\n').filter(Boolean)).toHaveLength(5);
    expect(text).toContain('"name":"TypeError"');
  });

  it('leave the logged object itself untouched', () => {
    const obj = { detail: ECHO };
    logText((l) => l.info(obj, 'x'));
    expect(obj.detail).toBe(ECHO);
  });
});

describe('outcome records', () => {
  const record: OutcomeRecord = {
    event: 'rotation.outcome',
    certificate: 'shop',
    region: 'cn-hangzhou',
    domains: ['example.com'],
    outcome: 'failed',
    reason: `upload failed: ${ECHO}`,
    previous: null,
    current: null,
    daysGained: null,
    targets: [{ target: 'lb-1:443', serverCertificateId: 'c-1', status: 'failed', error: ECHO }],
    warnings: [`TXT record not removed: ${ECHO}`],
    durationMs: 5,
  };

  it('are scrubbed in the JSON lines (reason, warnings, target errors)', () => {
    let text = '';
    jsonLineSink({ write: (l) => void (text += l) }, () => new Date('2026-11-30T00:00:00Z')).write(record);
    expect(text).not.toContain(SECRET);
    const line = JSON.parse(text) as OutcomeRecord & { time: string };
    expect(line.time).toBe('2026-11-30T00:00:00.000Z');
    expect(line.reason).toBe('upload failed: echo {"SecurityTokn":"[redacted]"} | [redacted]');
    expect(line.targets[0]?.error).toContain('[redacted]');
    expect(line.warnings?.[0]).toContain('[redacted]');
  });

  it('are scrubbed when collected in memory (the CLI table)', () => {
    const sink = memorySink();
    sink.write(record);
    expect(JSON.stringify(sink.records)).not.toContain(SECRET);
    expect(record.reason).toContain(SECRET); // the caller's record is not changed
  });
});

describe('redactDeep', () => {
  it('copies only what changes and survives cycles', () => {
    const clean = { a: 'plain', b: [1, 'two'] };
    expect(redactDeep(clean)).toBe(clean);
    const cyclic: Record<string, unknown> = { s: SECRET };
    cyclic.self = cyclic;
    expect(redactDeep(cyclic)).toEqual({ s: '[redacted]', self: '[circular]' });
  });

  it('shows an error by name and message only (no stack, no SDK request)', () => {
    const err = Object.assign(new Error(ECHO), { url: `https://x/?t=${SECRET}`, code: 'ECONNRESET' });
    expect(redactDeep({ err })).toEqual({
      err: { name: 'Error', message: 'echo {"SecurityTokn":"[redacted]"} | [redacted]', code: 'ECONNRESET' },
    });
  });
});

describe('errors', () => {
  it('are redacted when built: message, code, request id and configuration issues', () => {
    const cloud = new CloudApiError('upload', 'UploadServerCertificate', `failed: ${ECHO}`, {
      code: `Bad.${SECRET}`,
      requestId: SECRET,
    });
    expect(JSON.stringify({ ...cloud.toJSON(), requestId: cloud.requestId })).not.toContain(SECRET);
    expect(cloud.message).toBe('failed: echo {"SecurityTokn":"[redacted]"} | [redacted]');
    const config = new ConfigError([`acme.accountKey: not a key: ${SECRET}`]);
    expect(`${config.message} ${config.issues.join()}`).not.toContain(SECRET);
    expect(config.issues).toEqual(['acme.accountKey: not a key: [redacted]']);
  });
});

describe('credentials', () => {
  const secret = 'kE8+secretOfTheKey/0000=';
  const token = 'CAISstsTokenFromTheContext+abc/def==';

  it('from the FC context are registered for redaction', () => {
    clearRegisteredSecrets();
    credentialsFromFcContext({ accessKeyId: 'STS.abcdefgh12345', accessKeySecret: secret, securityToken: token });
    expect(registeredSecrets().sort()).toEqual([secret, token].sort());
  });

  it('from the environment are registered for redaction (the key id is not)', () => {
    clearRegisteredSecrets();
    credentialsFromEnvironment({
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.abcdefgh12345',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret,
      ALIBABA_CLOUD_SECURITY_TOKEN: token,
    });
    expect(registeredSecrets().sort()).toEqual([secret, token].sort());
  });

  it('from the environment when the context has none (FC instance variables)', () => {
    clearRegisteredSecrets();
    credentialsFromFcContext(undefined, {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIabcdefgh1234',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret,
    });
    expect(registeredSecrets()).toEqual([secret]);
  });
});
