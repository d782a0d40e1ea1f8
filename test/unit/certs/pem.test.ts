import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizePem, pemLayoutProblems, splitPem } from '../../../shared/certs/pem.js';
import { CertificateCheckError } from '../../../shared/errors.js';
import { createTestPki, type TestPki } from '../../support/certs.js';

let pki: TestPki;
let leafPem: string;
let chain: string;

beforeAll(async () => {
  pki = await createTestPki();
  leafPem = (await pki.leaf(['a.example.com'])).certPem;
  chain = leafPem + pki.intermediate.certPem;
});
afterAll(() => pki?.dispose());

function rewrap(pem: string, width: number, eol = '\n'): string {
  return splitPem(pem)
    .map((b) => {
      const body = b.der.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? [];
      return [`-----BEGIN ${b.label}-----`, ...body, `-----END ${b.label}-----`].join(eol) + eol;
    })
    .join('');
}

describe('splitPem', () => {
  it('returns each block with its label and DER, in order', () => {
    const blocks = splitPem(chain);
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'CERTIFICATE']);
    expect(blocks[0]?.pem).toBe(leafPem);
  });

  it('ignores text outside blocks', () => {
    expect(splitPem(`subject=CN = x\nissuer=CN = y\n${leafPem}trailing words\n`)).toHaveLength(1);
  });

  it.each<[string, () => string]>([
    ['mismatched END label', () => leafPem.replace('END CERTIFICATE', 'END PRIVATE KEY')],
    ['invalid base64', () => leafPem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!')],
    ['empty body', () => '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => splitPem(text())).toThrow(CertificateCheckError);
  });
});

describe('normalizePem', () => {
  it.each([
    ['already canonical', (p: string) => p],
    ['CRLF line ends', (p: string) => rewrap(p, 64, '\r\n')],
    ['76-character lines', (p: string) => rewrap(p, 76)],
    [
      'blank lines between and around blocks',
      (p: string) => `\n\n${p.replace(/-----\n-----BEGIN/, '-----\n\n\n-----BEGIN')}\n\n`,
    ],
    ['trailing spaces and tabs', (p: string) => p.replace(/\n/g, ' \t\n')],
    ['no final newline', (p: string) => p.trimEnd()],
  ])('gives the canonical form for %s', (_name, mangle) => {
    const out = normalizePem(mangle(chain));
    expect(out).toBe(chain);
    expect(pemLayoutProblems(out)).toEqual([]);
  });

  it('throws when there is no PEM block at all', () => {
    expect(() => normalizePem('not a certificate')).toThrow(/no PEM block/);
  });
});

describe('pemLayoutProblems', () => {
  it.each([
    ['canonical', (p: string) => p, []],
    [
      'a blank line between certificates',
      (p: string) => p.replace(/-----\n-----BEGIN/, '-----\n\n-----BEGIN'),
      [/blank line/],
    ],
    ['CRLF', (p: string) => p.replace(/\n/g, '\r\n'), [/CR/]],
    ['trailing space', (p: string) => p.replace('\n', ' \n'), [/whitespace/]],
    ['long lines', (p: string) => rewrap(p, 76), [/longer than 64/]],
  ])('%s', (_name, mangle, expected) => {
    const problems = pemLayoutProblems(mangle(chain));
    expect(problems).toHaveLength(expected.length);
    expected.forEach((re, i) => {
      expect(problems[i]).toMatch(re);
    });
  });
});
