import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';
import { clearRegisteredSecrets, registeredSecrets } from '../../../shared/log/secret-values.js';

const base = `
acme:
  directory: letsencrypt-staging
  termsOfServiceAgreed: true
defaults:
  region: cn-hangzhou
certificates:
  - name: www
    domains: [example.com]
`;

const DING = 'https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123';
const FEISHU = 'https://open.feishu.cn/open-apis/bot/v2/hook/6e3f2a1b-9c8d-4e7f-a6b5-c4d3e2f1a0b9';
const WECOM = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7a2b-4bc4-97a0-0ec2f1fa5aaa';
const HOOK = 'https://hooks.example.net/rotator?token=hook-token-31415926';
const PING = 'https://hc-ping.com/5f2a9c7e-1b3d-4e6f-8a0b-2c4d6e8f0a1b';

const env = {
  DING_URL: DING,
  DING_SECRET: 'SEC0123456789abcdef',
  FEISHU_URL: FEISHU,
  FEISHU_SECRET: 'feishu-secret-value',
  WECOM_URL: WECOM,
  HOOK_URL: HOOK,
  HOOK_SECRET: 'hook-secret-value',
  PING_URL: PING,
};

const full = `${base}alerts:
  channels:
    - { type: dingtalk, url: { env: DING_URL }, secret: { env: DING_SECRET } }
    - { type: feishu, url: { env: FEISHU_URL }, secret: { env: FEISHU_SECRET } }
    - { type: wecom, url: { env: WECOM_URL } }
    - { type: webhook, url: { env: HOOK_URL }, secret: { env: HOOK_SECRET } }
heartbeat:
  url: { env: PING_URL }
`;

async function problems(text: string, environment: Record<string, string | undefined> = env): Promise<string[]> {
  try {
    await parseConfig(text, 'rotator.yaml', environment);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

afterEach(() => clearRegisteredSecrets());

describe('alerts and heartbeat settings', () => {
  it('are optional: without them nothing is configured', async () => {
    const c = await parseConfig(base, 'rotator.yaml', {});
    expect(c.alerts).toBeUndefined();
    expect(c.heartbeat).toBeUndefined();
  });

  it('resolve every reference to its value, with 14 days of warning by default', async () => {
    const c = await parseConfig(full, 'rotator.yaml', env);
    expect(c.alerts).toEqual({
      expiryWarningDays: 14,
      channels: [
        { type: 'dingtalk', url: DING, secret: env.DING_SECRET },
        { type: 'feishu', url: FEISHU, secret: env.FEISHU_SECRET },
        { type: 'wecom', url: WECOM },
        { type: 'webhook', url: HOOK, secret: env.HOOK_SECRET },
      ],
    });
    expect(c.heartbeat).toEqual({ url: PING });
    const withDays = await parseConfig(full.replace('alerts:\n', 'alerts:\n  expiryWarningDays: 21\n'), 'r.yaml', env);
    expect(withDays.alerts?.expiryWarningDays).toBe(21);
  });

  it('register every URL, token and secret for redaction', async () => {
    await parseConfig(full, 'rotator.yaml', env);
    const registered = registeredSecrets();
    for (const value of [
      ...Object.values(env),
      '0123456789abcdef0123', // DingTalk access_token
      '6e3f2a1b-9c8d-4e7f-a6b5-c4d3e2f1a0b9', // Feishu hook token
      '693a91f6-7a2b-4bc4-97a0-0ec2f1fa5aaa', // WeCom key
      'hook-token-31415926', // a token in the generic webhook's query
      '5f2a9c7e-1b3d-4e6f-8a0b-2c4d6e8f0a1b', // the heartbeat check's UUID
    ]) {
      expect(registered).toContain(value);
    }
    // An ordinary path segment of a webhook is not a token: scrubbing it would mangle every log line.
    expect(registered).not.toContain('rotator');
  });

  it.each([
    [
      'a URL written into the file',
      `${base}alerts:\n  channels:\n    - { type: wecom, url: "${WECOM}" }\n`,
      /alerts\.channels\[0\]\.url: must be \{env: VARIABLE\} or \{file: PATH\}/,
    ],
    [
      'a secret written into the file',
      `${base}alerts:\n  channels:\n    - { type: dingtalk, url: { env: DING_URL }, secret: SECabc }\n`,
      /alerts\.channels\[0\]\.secret: must be \{env: VARIABLE\}/,
    ],
    [
      'an unknown channel type',
      `${base}alerts:\n  channels:\n    - { type: slack, url: { env: HOOK_URL } }\n`,
      /alerts\.channels\[0\](\.type)?: type must be one of dingtalk, feishu, wecom, webhook/,
    ],
    [
      'a secret for WeCom, which has no signing',
      `${base}alerts:\n  channels:\n    - { type: wecom, url: { env: WECOM_URL }, secret: { env: HOOK_SECRET } }\n`,
      /alerts\.channels\[0\]: unknown field\(s\): secret/,
    ],
    ['no channel', `${base}alerts:\n  channels: []\n`, /alerts\.channels: list at least one channel/],
    [
      'an unknown field',
      `${base}heartbeat:\n  url: { env: PING_URL }\n  method: POST\n`,
      /heartbeat: unknown field\(s\): method/,
    ],
    [
      'a negative warning',
      `${base}alerts:\n  expiryWarningDays: -1\n  channels:\n    - { type: wecom, url: { env: WECOM_URL } }\n`,
      /alerts\.expiryWarningDays/,
    ],
  ])('refuse %s, naming the field', async (_name, text, expected) => {
    const found = await problems(text);
    expect(found.join('\n')).toMatch(expected);
  });

  it.each([
    ['a variable that is not set', { DING_URL: undefined }, 'environment variable DING_URL is not set'],
    ['plain http to a public host', { DING_URL: DING.replace('https:', 'http:') }, 'must be an https:// URL'],
    ['not a URL', { DING_URL: 'oapi.dingtalk.com/robot/send' }, 'not a URL'],
    [
      'a DingTalk URL without its access token',
      { DING_URL: 'https://oapi.dingtalk.com/robot/send' },
      'not a DingTalk robot URL',
    ],
    ['a WeCom URL without its key', { WECOM_URL: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' }, 'not a WeCom'],
    ['a Feishu URL without its hook token', { FEISHU_URL: 'https://open.feishu.cn/open-apis/bot/v2/' }, 'not a Feishu'],
    ['credentials in the URL', { HOOK_URL: 'https://user:pass1234@hooks.example.net/x' }, 'user name or password'],
  ])('refuse %s, without repeating the value', async (_name, override, expected) => {
    const found = await problems(full, { ...env, ...override });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(expected);
    expect(found[0]).toMatch(/^rotator\.yaml: (alerts\.channels\[\d\]\.url|heartbeat\.url): /);
    for (const value of Object.values(override)) if (value) expect(found[0]).not.toContain(value);
  });

  it('allow http:// for a loopback receiver (a local relay, the tests)', async () => {
    const c = await parseConfig(full, 'rotator.yaml', {
      ...env,
      HOOK_URL: 'http://127.0.0.1:8080/hook',
      PING_URL: 'http://localhost:8000/ping/abc',
    });
    expect(c.alerts?.channels[3]?.url).toBe('http://127.0.0.1:8080/hook');
    expect(c.heartbeat?.url).toBe('http://localhost:8000/ping/abc');
  });

  it('report every missing reference at once', async () => {
    const found = await problems(full, {});
    expect(found).toEqual([
      'rotator.yaml: alerts.channels[0].url: environment variable DING_URL is not set',
      'rotator.yaml: alerts.channels[0].secret: environment variable DING_SECRET is not set',
      'rotator.yaml: alerts.channels[1].url: environment variable FEISHU_URL is not set',
      'rotator.yaml: alerts.channels[1].secret: environment variable FEISHU_SECRET is not set',
      'rotator.yaml: alerts.channels[2].url: environment variable WECOM_URL is not set',
      'rotator.yaml: alerts.channels[3].url: environment variable HOOK_URL is not set',
      'rotator.yaml: alerts.channels[3].secret: environment variable HOOK_SECRET is not set',
      'rotator.yaml: heartbeat.url: environment variable PING_URL is not set',
    ]);
  });
});
