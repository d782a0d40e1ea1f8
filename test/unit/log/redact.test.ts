import { describe, expect, it } from 'vitest';
import { asRotatorError } from '../../../shared/errors.js';
import { serializeError } from '../../../shared/log/logger.js';
import { redact } from '../../../shared/log/redact.js';

describe('redact', () => {
  const cases = [
    {
      name: 'a pop-core GET URL with signed parameters',
      input:
        'ReadTimeout(3000). GET https://slb.aliyuncs.com/?AccessKeyId=LTAI5tAbCdEfGh&PrivateKey=-----BEGIN&Signature=abc%3D failed.',
      absent: ['LTAI5tAbCdEfGh', 'abc%3D', 'PrivateKey=-----BEGIN'],
    },
    {
      name: 'a PEM block',
      input: 'bad key -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY----- end',
      absent: ['MIIEpAIBAAKCAQEA'],
    },
    { name: 'an STS key id', input: 'key STS.NUgYrLnoC37mZZCNnAbez2 expired', absent: ['NUgYrLnoC37mZZCNnAbez2'] },
    { name: 'form-style parameters', input: 'body SecurityToken=CAIS123&Action=Upload', absent: ['CAIS123'] },
    {
      name: 'a string to sign, parameters percent-encoded twice',
      input:
        'server string to sign is:POST&%2F&AccessKeyId%3DSTS.NUgYrLnoC37mZZ%26PrivateKey%3D-----BEGIN%2520RSA%2520PRIVATE%2520KEY-----%250AMIIEow%26SecurityToken%3DCAISzQJ1q6Ft5B2yfSjIr5bSLtzBl%26Version%3D2014-05-15',
      absent: ['NUgYrLnoC37mZZ', 'MIIEow', 'CAISzQJ1q6Ft5B2yfSjIr5bSLtzBl'],
    },
  ];
  for (const c of cases) {
    it(`removes ${c.name}`, () => {
      const out = redact(c.input);
      for (const secret of c.absent) expect(out).not.toContain(secret);
      expect(out).toContain('redacted');
    });
  }
  it('leaves ordinary messages alone', () => {
    expect(redact('The DNS record already exists.')).toBe('The DNS record already exists.');
  });
});

describe('redaction in the shared error paths', () => {
  const leaky = new Error(
    'ReadTimeout(3000). GET https://slb.aliyuncs.com/?AccessKeyId=LTAI5tLeakCanary1&SecurityToken=CAISLeakCanary2 failed.',
  );
  it('asRotatorError redacts a foreign message once for every caller', () => {
    const message = asRotatorError(leaky, 'gather').message;
    expect(message).not.toMatch(/LeakCanary/);
    expect(message).toMatch(/ReadTimeout\(3000\)/);
  });
  it("the logger's error serializer redacts foreign errors", () => {
    expect(JSON.stringify(serializeError(leaky))).not.toMatch(/LeakCanary/);
    expect(JSON.stringify(serializeError('PrivateKey=-----BEGIN RSA PRIVATE KEY-----\nMIIEcanary'))).not.toMatch(
      /MIIEcanary/,
    );
  });
});
