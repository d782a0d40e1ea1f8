import { describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../../shared/notify/alert.js';
import { buildRunAlert } from '../../../shared/notify/build-alert.js';
import { failUrlOf } from '../../../shared/notify/heartbeat.js';
import { NotificationError, type Notifier } from '../../../shared/notify/notifier.js';
import { deliver } from '../../../shared/notify/notify-run.js';
import { recordingLogger } from '../../support/recording-logger.js';
import { NOW, record, summaryOf } from './records.js';

const records = [record('a', 'failed')];
const alert = buildRunAlert({ records, summary: summaryOf(records), expiryWarningDays: 14, now: NOW }) as AlertMessage;

describe('deliver', () => {
  it('sends to every notifier, logs each failure, and never rejects', async () => {
    const received: string[] = [];
    const ok: Notifier = { send: async (m) => void received.push(m.title) };
    const rejects: Notifier = { send: () => Promise.reject(new NotificationError('errcode 310000: sign not match')) };
    const throwsSync: Notifier = {
      send: () => {
        throw new TypeError('boom at https://robot.example/send?access_token=tok-1234567890');
      },
    };
    const log = recordingLogger();
    const result = await deliver(
      alert,
      [
        { channel: 'wecom#0', endpoint: 'https://qyapi.weixin.qq.com', notifier: rejects },
        { channel: 'webhook#1', endpoint: 'https://hooks.example', notifier: throwsSync },
        { channel: 'dingtalk#2', endpoint: 'https://oapi.dingtalk.com', notifier: ok },
      ],
      log,
    );
    expect(result).toEqual({ delivered: ['dingtalk#2'], failed: ['wecom#0', 'webhook#1'] });
    expect(received).toEqual([alert.title]);
    expect(log.entries.map((e) => [e.level, (e.obj as { channel: string }).channel])).toEqual([
      ['error', 'wecom#0'],
      ['error', 'webhook#1'],
      ['info', 'dingtalk#2'],
    ]);
    expect(log.entries[0]?.obj).toMatchObject({ event: 'notify.failed', error: 'errcode 310000: sign not match' });
    // A foreign error's message goes through the redactor: no URL with its token.
    expect(log.text()).not.toContain('tok-1234567890');
  });
});

describe('failUrlOf', () => {
  it.each([
    ['https://hc-ping.com/5f2a9c7e', 'https://hc-ping.com/5f2a9c7e/fail'],
    ['https://hc-ping.com/5f2a9c7e/', 'https://hc-ping.com/5f2a9c7e/fail'],
    [
      'https://uptime.betterstack.com/api/v1/heartbeat/abc?x=1',
      'https://uptime.betterstack.com/api/v1/heartbeat/abc/fail?x=1',
    ],
  ])('%s → %s', (url, expected) => {
    expect(failUrlOf(url)).toBe(expected);
  });
});
