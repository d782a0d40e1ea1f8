import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load-config.js';
import { configSchema } from '../../shared/config/schema.js';
import { settingPaths } from './setting-paths.js';

/**
 * rotator.example.yaml is what people copy: it must load exactly as it is, with the secrets it references holding
 * real values, and it must show every setting the schema accepts (the optional ones commented out).
 */

const text = readFileSync(new URL('../../rotator.example.yaml', import.meta.url), 'utf8');

function environment(): Record<string, string> {
  const { privateKey: accountKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { ROTATOR_ACME_ACCOUNT_KEY: accountKey, ROTATOR_ACME_EAB_HMAC: randomBytes(32).toString('base64url') };
}

describe('rotator.example.yaml', () => {
  it('loads as it is, secrets read and defaults applied', async () => {
    const config = await parseConfig(text, 'rotator.example.yaml', environment());
    expect(config.certificates.map((c) => c.name)).toEqual(['shop', 'api']);
    const [shop, api] = config.certificates;
    expect(shop).toMatchObject({
      region: 'cn-hangzhou',
      keyType: 'rsa-2048',
      byReference: false,
      retain: 1,
      listeners: [{ loadBalancerId: 'lb-bp1example', port: 443 }],
      domainExtensions: [{ loadBalancerId: 'lb-bp1example', port: 443, domain: 'shop.example.com' }],
    });
    expect(api).toMatchObject({ region: 'cn-shanghai', keyType: 'rsa-3072', byReference: true, retain: 2 });
  });

  it('refuses to load when the account key it references is missing', async () => {
    await expect(parseConfig(text, 'rotator.example.yaml', {})).rejects.toThrow(/ROTATOR_ACME_ACCOUNT_KEY/);
  });

  it('shows every setting the schema accepts, set or commented out', () => {
    const keys = new Set([...text.matchAll(/([A-Za-z]+):/g)].map((m) => m[1] as string));
    const missing = settingPaths(configSchema, '').filter(
      (p) => !keys.has(p.split('.').at(-1)?.replace('[]', '') ?? ''),
    );
    expect(missing).toEqual([]);
  });
});
