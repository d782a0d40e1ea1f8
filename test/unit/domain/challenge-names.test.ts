import { describe, expect, it } from 'vitest';
import { certificatesSharingChallengeNames, challengeName } from '../../../shared/domain/challenge-names.js';

describe('challengeName', () => {
  it.each([
    ['example.com', '_acme-challenge.example.com'],
    ['*.example.com', '_acme-challenge.example.com'],
    ['WWW.Example.com.', '_acme-challenge.www.example.com'],
  ])('%s → %s', (domain, name) => {
    expect(challengeName(domain)).toBe(name);
  });
});

describe('certificatesSharingChallengeNames', () => {
  it.each<[string, { name: string; domains: string[] }[], string[]]>([
    [
      'distinct names',
      [
        { name: 'a', domains: ['a.test'] },
        { name: 'b', domains: ['b.test'] },
      ],
      [],
    ],
    [
      'one name in two regions',
      [
        { name: 'shop-hz', domains: ['shop.test'] },
        { name: 'shop-sh', domains: ['Shop.test'] },
        { name: 'api', domains: ['api.test'] },
      ],
      ['shop-hz', 'shop-sh'],
    ],
    [
      'a wildcard and its apex in two certificates',
      [
        { name: 'apex', domains: ['x.test'] },
        { name: 'wild', domains: ['*.x.test', 'y.test'] },
      ],
      ['apex', 'wild'],
    ],
    ['a wildcard and its apex in one certificate', [{ name: 'both', domains: ['x.test', '*.x.test'] }], []],
  ])('%s', (_what, certificates, sharing) => {
    expect([...certificatesSharingChallengeNames(certificates)].sort()).toEqual(sharing);
  });
});
