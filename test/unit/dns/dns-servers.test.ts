import { describe, expect, it } from 'vitest';
import { parseDnsServers } from '../../../shared/adapters/dns/dns-servers.js';
import { ConfigError } from '../../../shared/errors.js';

describe('parseDnsServers', () => {
  it.each([
    ['127.0.0.1:8053', ['127.0.0.1:8053']],
    [' 10.0.0.1:53 , 10.0.0.2:5353 ', ['10.0.0.1:53', '10.0.0.2:5353']],
    ['10.0.0.1', ['10.0.0.1:53']],
    ['[::1]:8053', ['[::1]:8053']],
    ['::1', ['[::1]:53']],
    ['[2001:db8::53]', ['[2001:db8::53]:53']],
  ])('%j → %j', (raw, expected) => {
    expect(parseDnsServers(raw)).toEqual(expected);
  });

  it.each([
    ['ns1.alidns.com:53', /entry 1 "ns1\.alidns\.com:53": not an IP address/],
    ['127.0.0.1:0', /entry 1 "127\.0\.0\.1:0": port "0" is not a number from 1 to 65535/],
    ['127.0.0.1:99999', /port "99999"/],
    ['127.0.0.1:abc', /port "abc"/],
    ['127.0.0.1:53,,10.0.0.1:53', /entry 2 "" is empty/],
    ['', /entry 1 "" is empty/],
    ['300.1.1.1:53', /entry 1 "300\.1\.1\.1:53": not an IP address/],
  ])('rejects %j', (raw, message) => {
    expect(() => parseDnsServers(raw, 'ROTATOR_DNS_SERVERS')).toThrow(ConfigError);
    expect(() => parseDnsServers(raw, 'ROTATOR_DNS_SERVERS')).toThrow(message);
  });

  it('names every bad entry and the source', () => {
    try {
      parseDnsServers('1.1.1.1:53,bad,2.2.2.2:x', 'ROTATOR_DNS_SERVERS');
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        expect.stringMatching(/^ROTATOR_DNS_SERVERS: entry 2 "bad"/),
        expect.stringMatching(/^ROTATOR_DNS_SERVERS: entry 3 "2\.2\.2\.2:x"/),
      ]);
    }
  });
});
