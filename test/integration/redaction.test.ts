/**
 * Redaction by value, end to end: the real pop-core (through AliyunRpcClient and the real SLB adapter) talks to an
 * endpoint that echoes each request back in its error answer, in several shapes. No registered secret (the STS token,
 * the access key secret, the signature pop-core computed) may reach the thrown error, a log line or an outcome
 * record, in any form.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxConfigYaml } from '../../sandbox/world.js';
import { AliyunRpcClient } from '../../shared/adapters/aliyun/rpc-client.js';
import { parseConfig } from '../../shared/config/load-config.js';
import { CloudApiError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log/logger.js';
import { jsonLineSink, memorySink, teeSink } from '../../shared/log/outcome-sink.js';
import { clearRegisteredSecrets, registeredSecrets } from '../../shared/log/secret-values.js';
import { runRotation } from '../../shared/rotation/run-rotation.js';
import { credentialsFromFcContext } from '../../shared/runtime/credentials.js';
import { wireRotation } from '../../shared/runtime/wire.js';
import { ECHO_SHAPES, type EchoServer, startEchoServer } from '../support/echo-server.js';
import { pebbleEnv } from '../support/env.js';

const alnum = (n: number) =>
  randomBytes(n * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, n);

/** Shaped like FC's role credentials; `+`, `/` and `=` in the secrets make every encoding differ from the raw value. */
function stsCredentials() {
  return {
    accessKeyId: `STS.${alnum(24)}`,
    accessKeySecret: `${alnum(12)}+/${alnum(14)}=`,
    securityToken: `CAIS${randomBytes(360).toString('base64')}`,
  };
}

/** Every form a secret could take in the texts checked, and a prefix (a cut-off echo). Names only: never the value. */
function leaks(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    const forms: Record<string, string> = {
      raw: value,
      'percent-encoded': encodeURIComponent(value),
      'percent-encoded twice': encodeURIComponent(encodeURIComponent(value)),
      'JSON-escaped': JSON.stringify(value).slice(1, -1),
      base64: Buffer.from(value).toString('base64'),
      'with + as space': value.replaceAll('+', ' '),
      'first 20 characters': value.slice(0, 20),
    };
    for (const [form, f] of Object.entries(forms)) if (text.includes(f)) found.push(`${name} (${form})`);
  }
  return found;
}

function stringLogger() {
  const lines: string[] = [];
  const logger = createLogger({ fd: 2, level: 'debug', stream: { write: (line) => void lines.push(line) } });
  return { logger, text: () => lines.join('') };
}

let echo: EchoServer | undefined;
beforeEach(() => clearRegisteredSecrets());
afterEach(async () => {
  await echo?.close();
  echo = undefined;
});

describe('an endpoint that echoes the request', () => {
  it('the signature the client registers is the very one pop-core sent', async () => {
    const creds = stsCredentials();
    echo = await startEchoServer({ shape: 'json' });
    const client = new AliyunRpcClient({
      endpoint: echo.url,
      apiVersion: '2014-05-15',
      credentials: credentialsFromFcContext(creds),
      attempts: 1,
    });
    await client
      .call(
        'DescribeServerCertificates',
        { RegionId: 'cn-hangzhou', Tags: [{ Key: 'a b', Value: "it's (1)*" }] },
        {
          stage: 'gather',
          idempotent: true,
        },
      )
      .catch(() => undefined);
    const sent = echo.requests.map((r) => r.params.Signature);
    expect(sent).toHaveLength(1);
    expect(registeredSecrets()).toEqual(expect.arrayContaining([...sent, creds.accessKeySecret, creds.securityToken]));
  });

  for (const shape of ECHO_SHAPES) {
    it(`${shape}: no secret reaches the error, the log or the outcome record`, async () => {
      const creds = stsCredentials();
      echo = await startEchoServer({ shape, secrets: { [creds.accessKeyId]: creds.accessKeySecret } });
      const credentials = credentialsFromFcContext(creds);
      let clock = 0;

      // The adapter alone: the thrown error and everything a caller would log about it.
      const client = new AliyunRpcClient({
        endpoint: echo.url,
        apiVersion: '2014-05-15',
        credentials,
        attempts: 2,
        // Waits cost nothing here, on a clock of the test's own that they advance (a throttled answer is retried
        // for the whole Throttling budget as measured on that clock).
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      });
      const err: unknown = await client
        .call('DescribeServerCertificates', { RegionId: 'cn-hangzhou' }, { stage: 'gather', idempotent: true })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(CloudApiError);
      const { logger, text: logText } = stringLogger();
      logger.error({ err }, 'SLB call failed');
      logger.error({ err }); // pino fills msg from err.message
      logger.warn({ detail: (err as Error).message, answer: echo.requests[0]?.answer }, 'raw answer as a field');
      logger.child({ request: echo.requests[0]?.params }).info({}, `answer: ${echo.requests[0]?.answer}`);
      const adapterRequests = echo.requests.length;

      // The whole run: SLB is the echo endpoint, so gathering fails and the outcome record says why.
      const { logger: runLogger, text: runLogText } = stringLogger();
      let sinkText = '';
      const memory = memorySink();
      const config = await parseConfig(
        sandboxConfigYaml(pebbleEnv(), [
          {
            name: 'shop',
            domains: ['echo.test'],
            region: 'cn-hangzhou',
            listeners: [{ loadBalancerId: 'lb-echo', port: 443 }],
          },
        ]),
        'redaction.yaml',
        {},
      );
      const deps = wireRotation({
        config,
        env: { ROTATOR_SLB_ENDPOINT: echo.url, ROTATOR_ALIDNS_ENDPOINT: echo.url },
        credentials,
        logger: runLogger,
        sink: teeSink(
          jsonLineSink({
            write(line) {
              sinkText += line;
            },
          }),
          memory,
        ),
      });
      const result = await runRotation(config, { trigger: 'test' }, deps);
      expect(result.records[0]?.outcome).toBe('failed');
      expect(echo.requests.length).toBeGreaterThan(adapterRequests);

      // Every request the client sent was signed with its own signature, and the echo did carry secrets: without
      // that, a clean text would prove nothing.
      const signatures = echo.requests.map((r) => r.params.Signature ?? '');
      expect(new Set(signatures).size).toBe(echo.requests.length);
      const secrets: Record<string, string> = {
        accessKeySecret: creds.accessKeySecret,
        securityToken: creds.securityToken,
        ...Object.fromEntries(signatures.map((s, i) => [`signature #${i + 1}`, s])),
      };
      expect(echo.requests.every((r) => leaks(r.answer, secrets).length > 0)).toBe(true);

      const e = err as CloudApiError;
      const places: Record<string, string> = {
        'error message': e.message,
        'error JSON': JSON.stringify(e),
        'error inspected': inspect(e, { depth: 5 }),
        'error code and request id': `${e.code} ${e.requestId}`,
        'adapter log': logText(),
        'run log': runLogText(),
        'outcome lines': sinkText,
        'collected records': JSON.stringify(memory.records),
        'returned records': JSON.stringify(result),
      };
      for (const [place, text] of Object.entries(places)) expect(leaks(text, secrets), place).toEqual([]);
      // Redacted, not dropped: the record still says what failed and how.
      expect(e.message).toMatch(/^DescribeServerCertificates failed: /);
      expect(sinkText).toContain('"outcome":"failed"');
      expect(result.records[0]?.reason).toMatch(/failed: /);
      // A throttled answer is waited out for the run's whole Throttling budget (30 s) before the run gives up.
    }, 90_000);
  }
});
