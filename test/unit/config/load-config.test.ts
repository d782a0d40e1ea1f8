import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';

const valid = `
acme:
  directory: letsencrypt-staging
  email: ops@example.com
  termsOfServiceAgreed: true
defaults:
  region: cn-hangzhou
certificates:
  - name: www
    domains: [example.com, "*.example.com"]
    listeners:
      - loadBalancerId: lb-bp1abc
        port: 443
`;

async function problems(text: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await parseConfig(text, 'rotator.yaml', env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('parseConfig', () => {
  it('applies defaults: staging CA, RSA-2048, one third of lifetime', async () => {
    const c = await parseConfig(valid, 'rotator.yaml', {});
    expect(c.acme).toMatchObject({ directoryUrl: expect.stringContaining('acme-staging-v02'), production: false });
    expect(c.certificates[0]).toMatchObject({
      name: 'www',
      region: 'cn-hangzhou',
      keyType: 'rsa-2048',
      domains: ['example.com', '*.example.com'],
      renewal: { remainingFraction: 1 / 3, spread: 0.02 },
      listeners: [{ loadBalancerId: 'lb-bp1abc', port: 443 }],
    });
    expect(c.dns).toEqual({ propagationTimeoutSeconds: 300, ttl: 600 });
  });

  it('targets, retention and SLB settings: defaults and overrides', async () => {
    const c = await parseConfig(valid, 'rotator.yaml', {});
    expect(c.certificates[0]).toMatchObject({ domainExtensions: [], byReference: false, retain: 1 });
    expect(c.slb).toEqual({ certificateQuota: 100, verifyOnWire: true, wireSettleSeconds: 30 });
    const text = valid
      .replace('defaults:\n  region: cn-hangzhou', 'defaults:\n  region: cn-hangzhou\n  byReference: true\n  retain: 3')
      .replace(
        '    listeners:',
        '    domainExtensions:\n      - {loadBalancerId: lb-bp1abc, port: 443, domain: Shop.Example.com}\n    retain: 0\n    listeners:',
      )
      .concat('slb:\n  certificateQuota: 200\n  verifyOnWire: false\n');
    const o = await parseConfig(text, 'rotator.yaml', {});
    expect(o.certificates[0]).toMatchObject({
      byReference: true,
      retain: 0,
      domainExtensions: [{ loadBalancerId: 'lb-bp1abc', port: 443, domain: 'shop.example.com' }],
    });
    expect(o.slb).toEqual({ certificateQuota: 200, verifyOnWire: false, wireSettleSeconds: 30 });
  });

  it('reads secrets from the environment, never from the file', async () => {
    const text = valid.replace(
      'termsOfServiceAgreed: true',
      'termsOfServiceAgreed: true\n  accountKey: {env: ACME_KEY}',
    );
    const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const c = await parseConfig(text, 'rotator.yaml', { ACME_KEY: pem });
    expect(c.acme.accountKeyPem).toBe(pem);
  });

  const cases: { name: string; text: string; env?: Record<string, string>; expected: RegExp }[] = [
    { name: 'YAML syntax error with a line', text: 'acme: [', expected: /rotator\.yaml:1:\d+: YAML syntax/ },
    { name: 'missing certificates', text: 'acme: {termsOfServiceAgreed: true}', expected: /certificates: / },
    {
      name: 'bad domain names the index and line',
      text: valid.replace('"*.example.com"', '"exa mple.com"'),
      expected: /rotator\.yaml:\d+: certificates\[0\]\.domains\[1\]: not a DNS name/,
    },
    {
      name: 'wildcard in the middle',
      text: valid.replace('"*.example.com"', '"a.*.example.com"'),
      expected: /certificates\[0\]\.domains\[1\]/,
    },
    {
      name: 'duplicate domain',
      text: valid.replace('"*.example.com"', 'EXAMPLE.com'),
      expected: /"example.com" is listed twice/,
    },
    {
      name: 'EC key refused',
      text: valid.replace('    domains:', '    keyType: ec-p256\n    domains:'),
      expected: /keyType: CLB accepts RSA/,
    },
    {
      name: 'unknown field',
      text: valid.replace('    domains:', '    domain: x\n    domains:'),
      expected: /unknown field\(s\): domain/,
    },
    {
      name: 'bad load balancer id',
      text: valid.replace('lb-bp1abc', 'bp1abc'),
      expected: /listeners\[0\]\.loadBalancerId/,
    },
    { name: 'port out of range', text: valid.replace('port: 443', 'port: 70000'), expected: /listeners\[0\]\.port/ },
    {
      name: 'region missing everywhere',
      text: valid.replace('defaults:\n  region: cn-hangzhou\n', ''),
      expected: /certificates\[0\]\.region: required \(or set defaults\.region\)/,
    },
    {
      name: 'bad name',
      text: valid.replace('name: www', 'name: 1www'),
      expected: /certificates\[0\]\.name: must start with a letter/,
    },
    {
      name: 'custom directory needs production flag',
      text: valid.replace('letsencrypt-staging', 'https://ca.example/dir'),
      expected: /acme\.production: required when directory is a URL/,
    },
    {
      name: 'http directory refused',
      text: valid.replace('letsencrypt-staging', 'http://ca.example/dir'),
      expected: /acme\.directory/,
    },
    ...[
      'https://user:hunter2secret@ca.example/dir',
      'https://user@ca.example/dir',
      'https://:hunter2secret@ca.example/dir',
    ].map((url) => ({
      name: `directory URL with credentials (${url.replace(/\/\/.*@/, '//…@')})`,
      text: valid.replace('letsencrypt-staging', url).replace('  email:', '  production: false\n  email:'),
      expected: /^rotator\.yaml:3: acme\.directory: .*contains a user name or password \(user:password@host\)[^@]*$/,
    })),
    {
      name: 'a directory that is not a URL',
      text: valid.replace('letsencrypt-staging', 'letsencrypt-production'),
      expected: /acme\.directory: neither letsencrypt, letsencrypt-staging nor a usable URL: not a URL/,
    },
    {
      name: 'production CA without an account key refuses to run',
      text: valid.replace('letsencrypt-staging', 'letsencrypt'),
      expected: /acme\.accountKey: required for a production CA.*account create/,
    },
    {
      name: 'secret variable not set names the variable',
      text: valid.replace('termsOfServiceAgreed: true', 'termsOfServiceAgreed: true\n  accountKey: {env: ACME_KEY}'),
      expected: /acme\.accountKey: environment variable ACME_KEY is not set/,
    },
    {
      name: 'secret written inline is refused',
      text: valid.replace('termsOfServiceAgreed: true', 'termsOfServiceAgreed: true\n  accountKey: "-----BEGIN"'),
      expected: /acme\.accountKey: must be \{env: VARIABLE\} or \{file: PATH\}/,
    },
    {
      name: 'terms not agreed',
      text: valid.replace('termsOfServiceAgreed: true', 'termsOfServiceAgreed: false'),
      expected: /termsOfServiceAgreed: must be true/,
    },
    {
      name: 'both renewal rules',
      text: valid.replace('    domains:', '    renewal: {remainingFraction: 0.3, daysBeforeExpiry: 30}\n    domains:'),
      expected: /either remainingFraction or daysBeforeExpiry/,
    },
    {
      name: 'domain extension without a domain',
      text: valid.replace(
        '    listeners:',
        '    domainExtensions:\n      - {loadBalancerId: lb-bp1abc, port: 443}\n    listeners:',
      ),
      expected: /certificates\[0\]\.domainExtensions\[0\]\.domain: /,
    },
    {
      name: 'retain out of range',
      text: valid.replace('    listeners:', '    retain: 11\n    listeners:'),
      expected: /certificates\[0\]\.retain: /,
    },
    { name: 'quota below 1', text: `${valid}slb:\n  certificateQuota: 0\n`, expected: /slb\.certificateQuota: / },
    {
      name: 'duplicate certificate names',
      text: `${valid}  - name: www\n    domains: [a.example.com]\n`,
      expected: /"www" is used twice/,
    },
  ];
  for (const c of cases) {
    it(`rejects: ${c.name}`, async () => {
      const found = await problems(c.text, c.env);
      expect(found.join('\n')).toMatch(c.expected);
    });
  }

  it('reports every problem at once', async () => {
    const text = valid.replace('name: www', 'name: 1www').replace('port: 443', 'port: 0');
    expect((await problems(text)).length).toBeGreaterThanOrEqual(2);
  });

  it('never echoes the value of a secret', async () => {
    const text = valid.replace(
      'termsOfServiceAgreed: true',
      'termsOfServiceAgreed: true\n  accountKey: {file: /nonexistent/key.pem}',
    );
    const found = await problems(text);
    expect(found.join('\n')).toMatch(/\/nonexistent\/key\.pem cannot be read \(ENOENT\)/);
  });
});
