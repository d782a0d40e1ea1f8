import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/errors.js';
import { logLevelFromEnvironment, serviceSettingsFromEnvironment } from '../../../shared/runtime/settings-from-env.js';

describe('logLevelFromEnvironment', () => {
  it('unset or empty (an unset ${env()} in s.yaml) is the default, without a warning', () => {
    expect(logLevelFromEnvironment({})).toEqual({ level: 'info' });
    expect(logLevelFromEnvironment({ ROTATOR_LOG_LEVEL: '' })).toEqual({ level: 'info' });
    expect(logLevelFromEnvironment({ ROTATOR_LOG_LEVEL: '  ' }, 'warn')).toEqual({ level: 'warn' });
  });
  it('a known level in any case and with spaces', () => {
    expect(logLevelFromEnvironment({ ROTATOR_LOG_LEVEL: ' DEBUG ' })).toEqual({ level: 'debug' });
    expect(logLevelFromEnvironment({ ROTATOR_LOG_LEVEL: 'error' })).toEqual({ level: 'error' });
  });
  it('an unknown level is the default plus one warning that names the variable and the accepted values', () => {
    const r = logLevelFromEnvironment({ ROTATOR_LOG_LEVEL: 'verbose' });
    expect(r.level).toBe('info');
    expect(r.warning).toBe('ROTATOR_LOG_LEVEL "verbose" is not one of debug, info, warn, error: using "info"');
  });
  it('pino levels the project does not offer are refused too', () => {
    expect(logLevelFromEnvironment({ ROTATOR_LOG_LEVEL: 'silent' }).warning).toMatch(/is not one of/);
  });
});

describe('serviceSettingsFromEnvironment', () => {
  it('empty values are the defaults', () => {
    const s = serviceSettingsFromEnvironment({
      ROTATOR_SLB_ENDPOINT: '',
      ROTATOR_ALIDNS_ENDPOINT: ' ',
      ROTATOR_DNS_SERVERS: '',
    });
    expect(s.endpoints.slb('cn-hangzhou')).toBe('https://slb.aliyuncs.com');
    expect(s.endpoints.slb('eu-central-1')).toBe('https://slb.eu-central-1.aliyuncs.com');
    expect(s.endpoints.alidns).toBe('https://alidns.aliyuncs.com');
    expect(s.dnsServers).toBeUndefined();
  });
  it('set values are used', () => {
    const s = serviceSettingsFromEnvironment({
      ROTATOR_SLB_ENDPOINT: 'http://127.0.0.1:8080/',
      ROTATOR_ALIDNS_ENDPOINT: 'http://127.0.0.1:8081',
      ROTATOR_DNS_SERVERS: '127.0.0.1:8053, 10.0.0.1',
    });
    expect(s.endpoints.slb('cn-hangzhou')).toBe('http://127.0.0.1:8080');
    expect(s.endpoints.alidns).toBe('http://127.0.0.1:8081');
    expect(s.dnsServers).toEqual(['127.0.0.1:8053', '10.0.0.1:53']);
  });
  it('every bad variable is named at once, without echoing a URL that may carry credentials', () => {
    let err: unknown;
    try {
      serviceSettingsFromEnvironment({
        ROTATOR_SLB_ENDPOINT: 'https://user:s3cret@slb.example',
        ROTATOR_ALIDNS_ENDPOINT: 'ftp://alidns.example',
        ROTATOR_DNS_SERVERS: 'ns1.example.com',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatch(/^ROTATOR_SLB_ENDPOINT: /);
    expect(issues[1]).toMatch(/^ROTATOR_ALIDNS_ENDPOINT: /);
    expect(issues[2]).toMatch(/^ROTATOR_DNS_SERVERS: /);
    expect((err as Error).message).not.toContain('s3cret');
  });
});
