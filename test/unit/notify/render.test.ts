import { describe, expect, it } from 'vitest';
import { buildRunAlert } from '../../../shared/notify/build-alert.js';
import { renderMarkdown } from '../../../shared/notify/render.js';
import { NOW, record, summaryOf } from './records.js';

function alertFor(count: number) {
  const records = Array.from({ length: count }, (_, i) =>
    record(`cert-${String(i).padStart(3, '0')}`, 'failed', { reason: `失败 ${'x'.repeat(120)}` }),
  );
  const alert = buildRunAlert({ records, summary: summaryOf(records), expiryWarningDays: 14, now: NOW });
  if (!alert) throw new Error('expected an alert');
  return alert;
}

describe('renderMarkdown', () => {
  it('one heading, one line per item, the run last', () => {
    const text = renderMarkdown(alertFor(2), { maxBytes: 4096 });
    expect(text.split('\n')).toEqual([
      '#### slb-cert-rotator: 2 failed',
      '',
      expect.stringMatching(
        /^- \*\*cert-000\*\* \(cn-hangzhou\) outcome\.failed at stage issue \(retryable\): 失败 x+$/,
      ),
      expect.stringMatching(/^- \*\*cert-001\*\* /),
      '',
      'timer run at 2026-11-22T03:17:00.000Z: 2 certificate(s); failed 2',
    ]);
    expect(renderMarkdown(alertFor(1), { maxBytes: 4096, heading: false })).not.toContain('####');
  });

  it.each([4096, 1000, 300])('stays within %i bytes (UTF-8) and says how many items were left out', (maxBytes) => {
    const alert = alertFor(100);
    const text = renderMarkdown(alert, { maxBytes });
    expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(maxBytes);
    const shown = text.split('\n').filter((l) => l.startsWith('- **')).length;
    expect(text).toContain(`- … and ${100 - shown} more`);
    expect(text.endsWith('failed 100')).toBe(true);
  });

  it('everything fits: no "more" line', () => {
    expect(renderMarkdown(alertFor(3), { maxBytes: 18_000 })).not.toContain('more');
  });
});
