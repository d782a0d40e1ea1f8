import { describe, expect, it } from 'vitest';
import { probeServername } from '../../../shared/policy/probe-servername.js';

describe('probeServername', () => {
  it.each<{ names: string[]; exclude?: string[]; expected: string | undefined }>([
    { names: ['example.com'], expected: 'example.com' },
    { names: ['www.example.com', 'example.com'], expected: 'www.example.com' },
    // A real host name beats a made-up one, wherever the wildcard sits.
    { names: ['*.example.com', 'example.com'], expected: 'example.com' },
    { names: ['*.example.com'], expected: 'rotator-probe.example.com' },
    { names: ['*.api.example.com', '*.example.com'], expected: 'rotator-probe.api.example.com' },
    { names: ['Shop.Example.COM.'], expected: 'shop.example.com' },
    { names: ['www.example.com', 'shop.example.com'], exclude: ['www.example.com'], expected: 'shop.example.com' },
    { names: ['www.example.com'], exclude: ['WWW.example.com'], expected: undefined },
    { names: ['example.com', '*.example.com'], exclude: ['example.com'], expected: 'rotator-probe.example.com' },
    // A wildcard exclusion covers one label, as the listener's SNI matching does.
    { names: ['shop.example.com', 'example.com'], exclude: ['*.example.com'], expected: 'example.com' },
    { names: ['a.b.example.com'], exclude: ['*.example.com'], expected: 'a.b.example.com' },
    { names: ['*.example.com'], exclude: ['*.example.com'], expected: undefined },
    { names: ['*.example.com'], exclude: ['rotator-probe.example.com'], expected: undefined },
    { names: ['*.example.com', '*.example.net'], exclude: ['*.example.com'], expected: 'rotator-probe.example.net' },
    { names: [], expected: undefined },
    { names: ['', '  '], expected: undefined },
    // Neither an IP literal (not allowed as SNI) nor a malformed wildcard can be sent.
    { names: ['192.0.2.1', 'a.*.example.com', '*.com'], expected: undefined },
    { names: ['192.0.2.1', 'www.example.com'], expected: 'www.example.com' },
  ])('$names minus $exclude → $expected', ({ names, exclude, expected }) => {
    expect(probeServername(names, exclude)).toBe(expected);
  });
});
