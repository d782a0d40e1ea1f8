import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';

const base = `acme:
  directory: letsencrypt-staging
  termsOfServiceAgreed: true
defaults:
  region: cn-hangzhou
certificates:
  - name: www
    domains: [example.com]
`;

describe('`watch` in the configuration file', () => {
  it('is optional: no section, nothing watched', async () => {
    expect((await parseConfig(base, 'rotator.yaml', {})).watch).toEqual([]);
  });

  it('resolves each entry with its defaults', async () => {
    const text = `${base}watch:
  - endpoint: partner.example.net:443
  - endpoint: 10.0.0.7:8443
    servername: intranet.example.org
    expiryWarningDays: 21
`;
    expect((await parseConfig(text, 'rotator.yaml', {})).watch).toEqual([
      {
        endpoint: 'partner.example.net:443',
        host: 'partner.example.net',
        port: 443,
        servername: 'partner.example.net',
        expiryWarningDays: 14,
      },
      {
        endpoint: '10.0.0.7:8443',
        host: '10.0.0.7',
        port: 8443,
        servername: 'intranet.example.org',
        expiryWarningDays: 21,
      },
    ]);
  });

  it('reports a bad entry with its line and field, and an unknown key', async () => {
    const text = `${base}watch:
  - endpoint: partner.example.net
  - endpoint: ok.example.net:443
    sni: ok.example.net
`;
    const issues = await parseConfig(text, 'rotator.yaml', {}).then(
      () => [],
      (err: unknown) => (err instanceof ConfigError ? [...err.issues] : Promise.reject(err)),
    );
    expect(issues).toContainEqual(expect.stringMatching(/^rotator\.yaml:10: watch\[0\]\.endpoint: must be host:port/));
    expect(issues).toContainEqual(expect.stringMatching(/^rotator\.yaml:1[12]: watch\[1\]: unknown field\(s\): sni$/));
  });
});
