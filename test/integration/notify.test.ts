/**
 * Every channel against the loopback sink, through the real fetch and the real signing: the sink recomputes each
 * platform's signature from its own copy of the secret, so a signature computed the wrong way is a refused message.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log/logger.js';
import type { AlertMessage } from '../../shared/notify/alert.js';
import type { OutcomeRecord } from '../../shared/rotation/outcome.js';
import { afterRun } from '../../shared/notify/after-run.js';
import { sendHeartbeat } from '../../shared/notify/heartbeat.js';
import { notifyRun } from '../../shared/notify/notify-run.js';
import type { AlertSettings, ChannelSettings } from '../../shared/notify/settings.js';
import { startWebhookSink, type WebhookSink, type WebhookSinkOptions } from '../support/webhook-sink.js';
import { DAY, record, summaryOf } from '../unit/notify/records.js';
import { closedPort } from '../unit/watch/loopback-servers.js';

const SECRETS = {
  dingtalkToken: 'ding-access-token-0f3b9c2d7e',
  dingtalkSecret: 'SECd1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2',
  feishuToken: '6e3f2a1b-9c8d-4e7f-a6b5-c4d3e2f1a0b9',
  feishuSecret: 'feishu-signing-secret-Zq8xL2',
  wecomKey: '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa',
  webhookSecret: 'webhook-hmac-secret-8c1d5e',
  webhookPath: '/hooks/rotator-7c5e9a1f30',
  heartbeatToken: '5f2a9c7e-1b3d-4e6f-8a0b-2c4d6e8f0a1b',
};

const sinkOptions: WebhookSinkOptions = {
  dingtalk: { accessToken: SECRETS.dingtalkToken, secret: SECRETS.dingtalkSecret },
  feishu: { token: SECRETS.feishuToken, secret: SECRETS.feishuSecret },
  wecom: { key: SECRETS.wecomKey },
  webhook: { path: SECRETS.webhookPath, secret: SECRETS.webhookSecret },
  heartbeat: { token: SECRETS.heartbeatToken },
};

let sink: WebhookSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

async function startSink(options: WebhookSinkOptions = sinkOptions): Promise<WebhookSink> {
  sink = await startWebhookSink(options);
  return sink;
}

/** The real pino logger, writing into a buffer: what would reach Log Service. */
function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({ fd: 2, level: 'debug', stream: { write: (line) => lines.push(line) } });
  return {
    logger,
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function allChannels(s: WebhookSink, secrets: Partial<Record<ChannelSettings['type'], string>> = {}): AlertSettings {
  return {
    expiryWarningDays: 14,
    channels: [
      { type: 'dingtalk', url: s.urls.dingtalk, secret: secrets.dingtalk ?? SECRETS.dingtalkSecret },
      { type: 'feishu', url: s.urls.feishu, secret: secrets.feishu ?? SECRETS.feishuSecret },
      { type: 'wecom', url: s.urls.wecom },
      { type: 'webhook', url: s.urls.webhook, secret: secrets.webhook ?? SECRETS.webhookSecret },
    ],
  };
}

const failingRun = () => {
  const records = [
    record('shop', 'failed', { previousExpiresInDays: 3, reason: 'issue: the CA answered 503', now: new Date() }),
    record('api', 'rotated', { currentExpiresInDays: 90, now: new Date() }),
  ];
  return { records, summary: summaryOf(records) };
};

/** The origin of a sink that was started and stopped: nothing listens there (connection refused). */
async function closedOrigin(): Promise<string> {
  const gone = await startWebhookSink({});
  await gone.close();
  return gone.origin;
}

function everySecretValue(s: WebhookSink): string[] {
  return [
    ...Object.values(SECRETS).filter((v) => !v.startsWith('/')),
    s.urls.dingtalk,
    s.urls.feishu,
    s.urls.wecom,
    s.urls.webhook,
    s.urls.heartbeat,
  ];
}

describe('notifyRun against the platforms (loopback sink)', () => {
  it('delivers one signed message per channel, each in its platform format', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const result = await notifyRun({
      alerts: allChannels(s),
      ...failingRun(),
      clock: () => new Date(),
      logger: log.logger,
    });

    expect(result.failed).toEqual([]);
    expect(result.delivered).toEqual(['dingtalk#0', 'feishu#1', 'wecom#2', 'webhook#3']);
    expect(s.calls.map((c) => [c.platform, c.accepted])).toEqual(
      expect.arrayContaining([
        ['dingtalk', true],
        ['feishu', true],
        ['wecom', true],
        ['webhook', true],
      ]),
    );
    expect(s.calls).toHaveLength(4);
    const byPlatform = Object.fromEntries(s.calls.map((c) => [c.platform, c]));

    const ding = byPlatform.dingtalk!;
    expect(ding.query).toMatchObject({
      access_token: SECRETS.dingtalkToken,
      timestamp: expect.stringMatching(/^\d{13}$/),
    });
    expect(ding.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { title: 'slb-cert-rotator: 1 failed, 1 expiring soon', text: expect.stringContaining('**shop**') },
    });

    const feishu = byPlatform.feishu!.body as Record<string, unknown>;
    expect(feishu).toMatchObject({ msg_type: 'interactive', timestamp: expect.stringMatching(/^\d{10}$/) });
    expect(JSON.stringify(feishu.card)).toContain('outcome.failed at stage issue (retryable)');

    expect(byPlatform.wecom!.body).toMatchObject({
      msgtype: 'markdown',
      markdown: { content: expect.stringContaining('expiry.soon') },
    });

    const hook = byPlatform.webhook!;
    const alert = hook.body as AlertMessage;
    expect(alert).toEqual(result.alert);
    expect(alert.items.map((i) => i.code)).toEqual(['outcome.failed', 'expiry.soon']);
    expect(hook.headers['x-signature']).toBe(
      `sha256=${createHmac('sha256', SECRETS.webhookSecret).update(hook.rawBody).digest('hex')}`,
    );

    const sent = log.entries().filter((e) => e.event === 'notify.sent');
    expect(sent.map((e) => e.channel)).toEqual(['dingtalk#0', 'feishu#1', 'wecom#2', 'webhook#3']);
    expect(sent[0]).toMatchObject({ level: 'info', endpoint: s.origin, codes: ['outcome.failed', 'expiry.soon'] });
  });

  it('sends nothing when the run needs nobody, or when no channel is configured', async () => {
    const s = await startSink();
    const records = [
      record('api', 'rotated', { currentExpiresInDays: 90, now: new Date() }),
      record('www', 'not-due', { now: new Date() }),
    ];
    const quiet = await notifyRun({
      alerts: allChannels(s),
      records,
      summary: summaryOf(records),
      clock: () => new Date(),
      logger: capturedLogger().logger,
    });
    expect(quiet).toEqual({ alert: null, delivered: [], failed: [] });
    const unconfigured = await notifyRun({
      alerts: undefined,
      ...failingRun(),
      clock: () => new Date(),
      logger: capturedLogger().logger,
    });
    expect(unconfigured.alert).toBeNull();
    expect(s.calls).toEqual([]);
  });

  it('an expiring certificate alone sends a warning, whatever the outcome', async () => {
    const s = await startSink();
    const records = [record('www', 'not-due', { previousExpiresInDays: 5, now: new Date() })];
    const result = await notifyRun({
      alerts: { expiryWarningDays: 7, channels: [{ type: 'wecom', url: s.urls.wecom }] },
      records,
      summary: summaryOf(records),
      served: [
        { certificate: 'www', region: 'cn-hangzhou', expireTimeStamp: Date.now() + 5 * DAY, target: 'lb-1:443' },
      ],
      clock: () => new Date(),
      logger: capturedLogger().logger,
    });
    expect(result.delivered).toEqual(['wecom#0']);
    expect((s.calls[0]?.body as { markdown: { content: string } }).markdown.content).toMatch(
      /\*\*www\*\* \(cn-hangzhou\) expiry\.soon: .*expires in 5 day\(s\).*\[lb-1:443\]/,
    );
  });

  it('a wrong secret is refused the way each platform refuses it, logged, and never thrown', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const result = await notifyRun({
      alerts: allChannels(s, {
        dingtalk: 'SECwrong-wrong-wrong',
        feishu: 'wrong-feishu-secret',
        webhook: 'wrong-webhook',
      }),
      ...failingRun(),
      clock: () => new Date(),
      logger: log.logger,
    });
    expect(result.delivered).toEqual(['wecom#2']);
    expect(result.failed).toEqual(['dingtalk#0', 'feishu#1', 'webhook#3']);
    const failed = Object.fromEntries(
      log
        .entries()
        .filter((e) => e.event === 'notify.failed')
        .map((e) => [e.channel, e]),
    );
    expect(failed['dingtalk#0']).toMatchObject({
      level: 'error',
      endpoint: s.origin,
      error: 'errcode 310000: sign not match',
    });
    expect(failed['feishu#1']?.error).toMatch(/^code 19021: sign match fail/);
    expect(failed['webhook#3']?.error).toMatch(/^HTTP 401/);
  });

  it('an unsigned message to a robot that requires signing is refused', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const result = await notifyRun({
      alerts: {
        expiryWarningDays: 14,
        channels: [
          { type: 'dingtalk', url: s.urls.dingtalk },
          { type: 'feishu', url: s.urls.feishu },
          { type: 'webhook', url: s.urls.webhook },
        ],
      },
      ...failingRun(),
      clock: () => new Date(),
      logger: log.logger,
    });
    expect(result.failed).toEqual(['dingtalk#0', 'feishu#1', 'webhook#2']);
  });

  it('a clock more than an hour off is refused by DingTalk and Feishu (the stale-timestamp window)', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const twoHoursAgo = () => new Date(Date.now() - 2 * 3_600_000);
    const result = await notifyRun({
      alerts: { ...allChannels(s), channels: allChannels(s).channels.slice(0, 2) },
      ...failingRun(),
      clock: twoHoursAgo,
      logger: log.logger,
    });
    expect(result.failed).toEqual(['dingtalk#0', 'feishu#1']);
    expect(log.entries().map((e) => e.error)).toEqual(
      expect.arrayContaining(['errcode 310000: invalid timestamp', expect.stringMatching(/^code 19021/)]),
    );
  });

  it('a wrong robot token is a failed notification', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const result = await notifyRun({
      alerts: {
        expiryWarningDays: 14,
        channels: [
          { type: 'wecom', url: s.urls.wecom.replace(SECRETS.wecomKey, 'another-key-1234') },
          { type: 'dingtalk', url: s.urls.dingtalk.replace(SECRETS.dingtalkToken, 'another-token-1234') },
        ],
      },
      ...failingRun(),
      clock: () => new Date(),
      logger: log.logger,
    });
    expect(result.failed).toEqual(['wecom#0', 'dingtalk#1']);
    expect(log.entries().map((e) => e.error)).toEqual([
      'errcode 93000: invalid webhook url, hint: key is invalid',
      'errcode 300001: token is not exist',
    ]);
  });

  it('an HTTP 500, a hung endpoint and an endpoint that is down are logged; the others still get the message', async () => {
    const s = await startSink();
    const downUrl = `${await closedOrigin()}/hooks/gone-7c5e9a1f30`;
    s.failNext('dingtalk', 500);
    s.failNext('feishu', 'hang');
    const log = capturedLogger();
    const started = Date.now();
    const result = await notifyRun({
      alerts: {
        expiryWarningDays: 14,
        channels: [...allChannels(s).channels, { type: 'webhook', url: downUrl }],
      },
      ...failingRun(),
      clock: () => new Date(),
      logger: log.logger,
      timeoutMs: 1_000,
    });
    // Concurrent: the hung channel's time-out is the whole wait.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.delivered).toEqual(['wecom#2', 'webhook#3']);
    expect(result.failed).toEqual(['dingtalk#0', 'feishu#1', 'webhook#4']);
    const errors = Object.fromEntries(
      log
        .entries()
        .filter((e) => e.event === 'notify.failed')
        .map((e) => [e.channel, e.error]),
    );
    expect(errors).toEqual({
      'dingtalk#0': expect.stringMatching(/^HTTP 500/),
      'feishu#1': 'no answer within 1000 ms',
      'webhook#4': 'request failed (ECONNREFUSED)',
    });
  });

  it('no secret value, token or channel URL reaches the log, whatever fails', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const run = (alerts: AlertSettings, clock = () => new Date()) =>
      notifyRun({ alerts, ...failingRun(), clock, logger: log.logger, timeoutMs: 1_000 });
    await run(allChannels(s));
    await run(
      allChannels(s, { dingtalk: 'SECwrong-wrong-wrong', feishu: 'wrong-feishu-secret', webhook: 'wrong-webhook' }),
    );
    await run(allChannels(s), () => new Date(Date.now() - 2 * 3_600_000));
    for (const p of ['dingtalk', 'feishu', 'wecom', 'webhook'] as const) s.failNext(p, 500);
    await run(allChannels(s));
    s.failNext('wecom', 'hang');
    await run(allChannels(s));
    await sendHeartbeat({ heartbeat: { url: s.urls.heartbeat }, ok: false, logger: log.logger });
    await s.close();
    await run(allChannels(s));
    await sendHeartbeat({ heartbeat: { url: s.urls.heartbeat }, ok: true, logger: log.logger });
    sink = undefined;

    const text = log.lines.join('');
    expect(log.entries().filter((e) => e.event === 'notify.failed').length).toBeGreaterThanOrEqual(12);
    for (const secret of everySecretValue(s)) expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(SECRETS.dingtalkSecret));
  });
});

describe('sendHeartbeat', () => {
  it('pings the URL after a good run and URL/fail after a failed one', async () => {
    const s = await startSink();
    const log = capturedLogger();
    expect(await sendHeartbeat({ heartbeat: { url: s.urls.heartbeat }, ok: true, logger: log.logger })).toBe('sent');
    expect(await sendHeartbeat({ heartbeat: { url: s.urls.heartbeat }, ok: false, logger: log.logger })).toBe('sent');
    expect(s.calls.map((c) => [c.method, c.path, c.accepted])).toEqual([
      ['GET', `/ping/${SECRETS.heartbeatToken}`, true],
      ['GET', `/ping/${SECRETS.heartbeatToken}/fail`, true],
    ]);
    expect(log.entries().map((e) => [e.event, e.ok, e.endpoint])).toEqual([
      ['heartbeat.sent', true, s.origin],
      ['heartbeat.sent', false, s.origin],
    ]);
  });

  it('uses failUrl instead of /fail when one is configured (Uptime Kuma: ?status=down)', async () => {
    const s = await startSink();
    const failUrl = `${s.urls.heartbeat}?status=down&msg=rotation%20failed`;
    const okUrl = `${s.urls.heartbeat}?status=up&msg=OK`;
    const log = capturedLogger();
    await sendHeartbeat({ heartbeat: { url: okUrl, failUrl }, ok: false, logger: log.logger });
    await sendHeartbeat({ heartbeat: { url: okUrl, failUrl }, ok: true, logger: log.logger });
    expect(s.calls.map((c) => [c.path, c.query.status])).toEqual([
      [`/ping/${SECRETS.heartbeatToken}`, 'down'],
      [`/ping/${SECRETS.heartbeatToken}`, 'up'],
    ]);
  });

  it('does nothing without a heartbeat; a monitor that is down, refuses or hangs is logged, never thrown', async () => {
    const s = await startSink();
    const log = capturedLogger();
    expect(await sendHeartbeat({ heartbeat: undefined, ok: true, logger: log.logger })).toBe('skipped');
    s.failNext('heartbeat', 503);
    expect(await sendHeartbeat({ heartbeat: { url: s.urls.heartbeat }, ok: true, logger: log.logger })).toBe('failed');
    expect(
      await sendHeartbeat({ heartbeat: { url: `${s.origin}/ping/unknown-check-uuid` }, ok: true, logger: log.logger }),
    ).toBe('failed');
    s.failNext('heartbeat', 'hang');
    expect(
      await sendHeartbeat({ heartbeat: { url: s.urls.heartbeat }, ok: true, logger: log.logger, timeoutMs: 300 }),
    ).toBe('failed');
    const gone = `${await closedOrigin()}/ping/${SECRETS.heartbeatToken}`;
    expect(await sendHeartbeat({ heartbeat: { url: gone }, ok: true, logger: log.logger })).toBe('failed');
    expect(log.entries().map((e) => [e.event, e.error])).toEqual([
      ['heartbeat.failed', expect.stringMatching(/^HTTP 503/)],
      ['heartbeat.failed', 'HTTP 404: not found'],
      ['heartbeat.failed', 'no answer within 300 ms'],
      ['heartbeat.failed', 'request failed (ECONNREFUSED)'],
    ]);
  });
});

describe('afterRun: watched endpoints', () => {
  it('an unreachable watched endpoint reaches the webhook as a watch problem; the heartbeat still says ok', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const port = await closedPort();
    const records = [record('shop', 'not-due', { previousExpiresInDays: 60, now: new Date() })];
    const done = await afterRun({
      watch: [
        { endpoint: `127.0.0.1:${port}`, host: '127.0.0.1', port, servername: 'partner.test', expiryWarningDays: 14 },
      ],
      alerts: {
        expiryWarningDays: 14,
        channels: [
          { type: 'webhook', url: s.urls.webhook, secret: SECRETS.webhookSecret },
          { type: 'wecom', url: s.urls.wecom },
        ],
      },
      heartbeat: { url: s.urls.heartbeat },
      result: { records, summary: summaryOf(records) },
      clock: () => new Date(),
      logger: log.logger,
      watchOptions: { timeoutMs: 2000 },
    });

    expect(done.watched.map((w) => w.state)).toEqual(['unreachable']);
    expect(done.notified.delivered).toEqual(['webhook#0', 'wecom#1']);
    const hook = s.calls.find((c) => c.platform === 'webhook')!;
    const alert = hook.body as AlertMessage;
    expect(alert.run.ok).toBe(true);
    expect(alert.items).toEqual([]);
    expect(alert.watch).toEqual([
      {
        code: 'watch.unreachable',
        endpoint: `127.0.0.1:${port}`,
        servername: 'partner.test',
        state: 'unreachable',
        detail: expect.stringMatching(/ECONNREFUSED/),
        expireTime: null,
        daysLeft: null,
      },
    ]);
    expect(alert.title).toBe('slb-cert-rotator: 1 watched unreachable');
    const wecom = s.calls.find((c) => c.platform === 'wecom')!.body as { markdown: { content: string } };
    expect(wecom.markdown.content).toContain(`watched **127.0.0.1:${port}** (SNI partner.test) watch.unreachable`);
    // Someone else's outage is not the rotator's failure: the ok URL, never /fail.
    expect(done.heartbeat).toBe('sent');
    expect(s.calls.filter((c) => c.platform === 'heartbeat').map((c) => c.path)).toEqual([
      `/ping/${SECRETS.heartbeatToken}`,
    ]);
  });
});

describe('afterRun in a fanned-out run: coordinator and workers', () => {
  const watchOf = (port: number) => [
    { endpoint: `127.0.0.1:${port}`, host: '127.0.0.1', port, servername: 'partner.test', expiryWarningDays: 14 },
  ];

  it('the coordinator checks the watch list and pings; a worker that succeeded neither checks it nor pings; a worker that failed alerts about its own certificates and pings /fail', async () => {
    const s = await startSink();
    const log = capturedLogger();
    const port = await closedPort();
    const common = {
      watch: watchOf(port),
      alerts: {
        expiryWarningDays: 14,
        channels: [{ type: 'webhook' as const, url: s.urls.webhook, secret: SECRETS.webhookSecret }],
      },
      heartbeat: { url: s.urls.heartbeat },
      clock: () => new Date(),
      logger: log.logger,
      watchOptions: { timeoutMs: 2000 },
    };
    const pings = () => s.calls.filter((c) => c.platform === 'heartbeat').map((c) => c.path);
    const alerts = () => s.calls.filter((c) => c.platform === 'webhook').map((c) => c.body as AlertMessage);

    // The coordinator: every partition started.
    const coordinator = await afterRun({
      ...common,
      result: { records: [], summary: { ...summaryOf([]), trigger: 'timer', certificates: 3 } },
      role: 'coordinator',
    });
    expect(coordinator.watched.map((w) => w.state)).toEqual(['unreachable']);
    expect(alerts().map((a) => [a.items.length, a.watch.map((w) => w.code)])).toEqual([[0, ['watch.unreachable']]]);
    expect(pings()).toEqual([`/ping/${SECRETS.heartbeatToken}`]);

    // A worker whose certificates all rotated: no watch check, no alert, no ping.
    const worker = (records: OutcomeRecord[]) =>
      afterRun({ ...common, result: { records, summary: summaryOf(records, 'fanout') }, role: 'worker' });
    const ok = await worker([record('shop', 'rotated', { now: new Date() })]);
    expect(ok.watched).toEqual([]);
    expect(ok.heartbeat).toBe('skipped');
    expect(alerts()).toHaveLength(1);
    expect(pings()).toHaveLength(1);

    // A worker with a failure: its own alert (no watch items) and the failure ping.
    const failed = await worker([record('blog', 'failed', { now: new Date() })]);
    expect(failed.watched).toEqual([]);
    expect(failed.heartbeat).toBe('sent');
    expect(alerts()[1]).toMatchObject({
      items: [expect.objectContaining({ code: 'outcome.failed', certificate: 'blog' })],
      watch: [],
    });
    expect(pings()).toEqual([`/ping/${SECRETS.heartbeatToken}`, `/ping/${SECRETS.heartbeatToken}/fail`]);
  });

  it('a coordinator that could not start every partition pings /fail', async () => {
    const s = await startSink();
    const log = capturedLogger();
    await afterRun({
      watch: undefined,
      alerts: undefined,
      heartbeat: { url: s.urls.heartbeat },
      result: { records: [], summary: { ...summaryOf([]), ok: false } },
      clock: () => new Date(),
      logger: log.logger,
      role: 'coordinator',
    });
    expect(s.calls.map((c) => c.path)).toEqual([`/ping/${SECRETS.heartbeatToken}/fail`]);
  });
});
