import { describe, expect, it } from 'vitest';
import { fanoutRunId } from '../../../shared/fleet/run-id.js';

describe('fanoutRunId', () => {
  it('is the trigger name and time for a timer event, the same for a retried delivery', () => {
    const event = { triggerName: 'daily', triggerTime: '2026-11-30T03:17:00Z' };
    expect(fanoutRunId(event)).toBe('daily-20261130T031700Z');
    expect(fanoutRunId({ ...event })).toBe(fanoutRunId(event));
    expect(fanoutRunId({ ...event, triggerTime: '2026-12-01T03:17:00Z' })).not.toBe(fanoutRunId(event));
  });

  it('keeps only task-id-safe characters and at most 64 of them', () => {
    const id = fanoutRunId({ triggerName: 'a b/c'.repeat(30), triggerTime: '2026-11-30T03:17:00Z' });
    expect(id).toMatch(/^[A-Za-z0-9-]{1,64}$/);
    expect(fanoutRunId({ requestId: '1-6f0c…x y' })).toMatch(/^[A-Za-z0-9-]+$/);
    expect(fanoutRunId({ triggerName: '', triggerTime: '???' })).toMatch(/^timer-[0-9a-f]{12}$/);
  });
});
