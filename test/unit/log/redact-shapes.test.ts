import { describe, expect, it } from 'vitest';
import { redact } from '../../../shared/log/redact.js';

/**
 * A request signature is a replayable credential for as long as its timestamp and nonce are valid, so it must go
 * wherever it appears, not only inside a URL (that rule alone is covered in redact.test.ts). Each shape is one that a
 * lower layer really produces: a form body echoed in an error, a log line that names the parameter, a quoted value.
 */
describe('redact: Signature= outside a URL', () => {
  const signature = 'kRA2cnpJVacIhDMzg%2BsT6c1EoFg%3D';
  const shapes = [
    {
      name: 'a form-encoded POST body',
      text: `body: Action=UploadServerCertificate&Format=JSON&Signature=${signature}&SignatureMethod=HMAC-SHA1`,
    },
    { name: 'a log line naming the parameter', text: `request rejected, Signature=${signature} did not verify` },
    { name: 'the start of a message', text: `Signature=${signature}` },
    { name: 'a quoted value', text: `params "Signature=${signature}" were sent` },
    { name: 'a lower-case parameter name', text: `signature=${signature} was refused` },
    { name: 'an undecoded signature', text: 'Signature=kRA2cnpJVacIhDMzg+sT6c1EoFg= failed' },
  ];
  for (const shape of shapes) {
    it(`removes the value from ${shape.name}`, () => {
      const out = redact(shape.text);
      expect(out).not.toContain('kRA2cnpJVacIhDMzg');
      expect(out).toMatch(/signature=\[redacted\]/i);
    });
  }

  it('keeps the text around it, so the message still says what failed', () => {
    expect(redact(`request rejected, Signature=${signature} did not verify`)).toBe(
      'request rejected, Signature=[redacted] did not verify',
    );
  });
});
