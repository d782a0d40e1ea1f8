/**
 * The bearer token and link signatures go through crypto.timingSafeEqual on equal-length digests, never `===`:
 * a comparison that stops at the first different character tells an attacker, by its timing, how much of a guess
 * was right. node:crypto is wrapped (not replaced) so the real comparison still decides.
 */
import { describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({ calls: [] as [number, number][] }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      seen.calls.push([a.byteLength, b.byteLength]);
      return real.timingSafeEqual(a, b);
    },
  };
});

const { authorize, createStatusLink } = await import('../../../shared/operator/auth.js');

const TOKEN = 'op-token-0123456789abcdefghijklmnopqrstuv';
const NOW = new Date('2026-11-30T12:00:00Z');
const request = (headers: Record<string, string>, query: Record<string, string> = {}) => ({
  method: 'GET',
  path: '/status',
  headers,
  query,
});

describe('constant-time comparisons', () => {
  it.each([
    ['the right token', `Bearer ${TOKEN}`, true],
    ['a one-character guess', 'Bearer x', false],
    ['a guess longer than the token', `Bearer ${TOKEN}${TOKEN}`, false],
  ])('%s is compared with timingSafeEqual on two 32-byte digests', (_what, header, ok) => {
    seen.calls.length = 0;
    const result = authorize({ mode: 'anonymous', token: TOKEN }, request({ authorization: header }), NOW);
    expect(result.ok).toBe(ok);
    expect(seen.calls).toEqual([[32, 32]]);
  });

  it('a link signature too', () => {
    const link = new URL(createStatusLink('https://op.example', TOKEN, 60, NOW));
    seen.calls.length = 0;
    const result = authorize(
      { mode: 'anonymous', token: TOKEN },
      request({}, Object.fromEntries(link.searchParams)),
      NOW,
    );
    expect(result.ok).toBe(true);
    expect(seen.calls).toEqual([[32, 32]]);
  });
});
