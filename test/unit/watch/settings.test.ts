import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPIRY_WARNING_DAYS,
  MAX_WATCH_ENDPOINTS,
  parseEndpoint,
  resolveWatchList,
  watchList,
} from '../../../shared/watch/settings.js';

describe('parseEndpoint', () => {
  it.each([
    ['example.com:443', { host: 'example.com', port: 443 }],
    ['Partner.Example.NET.:8443', { host: 'partner.example.net', port: 8443 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['10.0.0.7:443', { host: '10.0.0.7', port: 443 }],
    ['[2001:DB8::1]:443', { host: '2001:db8::1', port: 443 }],
    ['  example.com:65535 ', { host: 'example.com', port: 65535 }],
  ])('%s', (text, expected) => {
    expect(parseEndpoint(text)).toEqual(expected);
  });

  it.each([
    ['example.com', /must be host:port/],
    ['example.com:', /must be host:port/],
    ['2001:db8::1:443', /must be host:port .*brackets/],
    ['[example.com]:443', /is not an IPv6 address/],
    ['example.com:0', /port 0 is not 1-65535/],
    ['example.com:70000', /port 70000 is not 1-65535/],
    ['https://example.com:443', /must be host:port/],
    ['exa_mple.com:443', /"exa_mple.com" is not a host name or IP address/],
    ['999.1.1.1:443', /is not a host name or IP address/],
    ['-bad.example:443', /is not a host name/],
  ])('refuses %s', (text, problem) => {
    const parsed = parseEndpoint(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });
});

describe('the watch setting', () => {
  it('applies the defaults: SNI name = host, warning = 14 days', () => {
    const raw = watchList.parse([
      { endpoint: 'partner.example.net:443' },
      { endpoint: '10.0.0.7:8443', servername: 'Intranet.Example.org', expiryWarningDays: 21 },
    ]);
    expect(resolveWatchList(raw)).toEqual([
      {
        endpoint: 'partner.example.net:443',
        host: 'partner.example.net',
        port: 443,
        servername: 'partner.example.net',
        expiryWarningDays: DEFAULT_EXPIRY_WARNING_DAYS,
      },
      {
        endpoint: '10.0.0.7:8443',
        host: '10.0.0.7',
        port: 8443,
        servername: 'intranet.example.org',
        expiryWarningDays: 21,
      },
    ]);
    expect(DEFAULT_EXPIRY_WARNING_DAYS).toBe(14);
    expect(resolveWatchList(undefined)).toEqual([]);
  });

  it.each([
    [[{ endpoint: 'example.com' }], [0, 'endpoint'], /must be host:port/],
    [[{ endpoint: 'example.com:443', port: 443 }], [0], /port/],
    [[{ endpoint: 'example.com:443', servername: 'not a name' }], [0, 'servername'], /not a host name/],
    [[{ endpoint: 'example.com:443', expiryWarningDays: 0 }], [0, 'expiryWarningDays'], /.+/],
    [[{ endpoint: 'example.com:443', expiryWarningDays: 400 }], [0, 'expiryWarningDays'], /.+/],
    [[{ servername: 'example.com' }], [0, 'endpoint'], /.+/],
    [
      [{ endpoint: 'example.com:443' }, { endpoint: 'EXAMPLE.com:443', servername: 'example.com' }],
      [1, 'endpoint'],
      /EXAMPLE\.com:443 is listed twice/,
    ],
  ])('refuses %j at the field', (input, path, message) => {
    const result = watchList.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path));
    expect(issue, JSON.stringify(result.error?.issues)).toBeDefined();
    expect(issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : issue?.message).toMatch(message);
  });

  it('allows the same host and port under two SNI names', () => {
    expect(
      watchList.safeParse([
        { endpoint: '10.0.0.7:443', servername: 'a.example.com' },
        { endpoint: '10.0.0.7:443', servername: 'b.example.com' },
      ]).success,
    ).toBe(true);
  });

  it(`refuses more than ${MAX_WATCH_ENDPOINTS} endpoints`, () => {
    const list = Array.from({ length: MAX_WATCH_ENDPOINTS + 1 }, (_, i) => ({ endpoint: `h${i}.example.com:443` }));
    expect(watchList.safeParse(list).success).toBe(false);
    expect(watchList.safeParse(list.slice(1)).success).toBe(true);
  });
});
