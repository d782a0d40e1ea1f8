import { describe, expect, it } from 'vitest';
import {
  dueCertificates,
  type FleetMember,
  fleetMembers,
  partitionFleet,
  partitionKey,
} from '../../../shared/fleet/partition.js';
import { cert, planFor } from './fleet-fixtures.js';

const m = (name: string, region: string, ...lbs: string[]): FleetMember => ({ name, region, loadBalancerIds: lbs });
const all = (members: FleetMember[]) => new Set(members.map((x) => x.name));
const names = (ps: ReturnType<typeof partitionFleet>) => ps.map((p) => p.certificates);

describe('partitionFleet', () => {
  const cases: {
    title: string;
    members: FleetMember[];
    due?: string[];
    max: number;
    expected: string[][];
  }[] = [
    {
      title: 'certificates sharing a load balancer stay together even when the bound would split them',
      members: [m('a', 'r1', 'lb-1'), m('b', 'r1', 'lb-1'), m('c', 'r1', 'lb-1'), m('d', 'r1', 'lb-2')],
      max: 2,
      expected: [['a', 'b', 'c'], ['d']],
    },
    {
      title: 'sharing is transitive: a-b on lb-1, b-c on lb-2',
      members: [m('a', 'r1', 'lb-1'), m('b', 'r1', 'lb-1', 'lb-2'), m('c', 'r1', 'lb-2'), m('d', 'r1', 'lb-3')],
      max: 3,
      expected: [['a', 'b', 'c'], ['d']],
    },
    {
      title: 'independent certificates are packed up to the bound',
      members: ['a', 'b', 'c', 'd', 'e'].map((n, i) => m(n, 'r1', `lb-${i}`)),
      max: 2,
      expected: [['a', 'b'], ['c', 'd'], ['e']],
    },
    {
      title: 'regions never share a partition, even with the same load balancer id',
      members: [m('a', 'r1', 'lb-1'), m('b', 'r2', 'lb-1')],
      max: 10,
      expected: [['a'], ['b']],
    },
    {
      title: 'a certificate without targets is a group of its own',
      members: [m('a', 'r1'), m('b', 'r1'), m('c', 'r1', 'lb-1')],
      max: 1,
      expected: [['a'], ['b'], ['c']],
    },
    {
      title: 'only due certificates are handed out, and partitions with none are left out',
      members: [m('a', 'r1', 'lb-1'), m('b', 'r1', 'lb-1'), m('c', 'r1', 'lb-2'), m('d', 'r1', 'lb-3')],
      due: ['b', 'd'],
      max: 2,
      expected: [['b'], ['d']],
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const parts = partitionFleet(c.members, c.due ? new Set(c.due) : all(c.members), c.max);
      expect(new Set(names(parts).map((p) => p.join(',')))).toEqual(new Set(c.expected.map((e) => e.join(','))));
    });
  }

  it('hands every due certificate to exactly one partition, within the bound when the groups allow it', () => {
    const members = Array.from({ length: 60 }, (_, i) => m(`c${i}`, `r${i % 3}`, `lb-${i % 3}-${Math.floor(i / 6)}`));
    const parts = partitionFleet(members, all(members), 7);
    const handed = parts.flatMap((p) => p.certificates);
    expect(handed.sort()).toEqual(members.map((x) => x.name).sort());
    expect(new Set(handed).size).toBe(60);
    expect(Math.max(...parts.map((p) => p.certificates.length))).toBeLessThanOrEqual(7);
    // No load balancer is written by two partitions.
    const lbs = parts.flatMap((p) => p.loadBalancers.map((lb) => `${p.region}/${lb}`));
    expect(new Set(lbs).size).toBe(lbs.length);
  });

  it('keys are stable: the same whatever the input order, and the same when fewer certificates are due', () => {
    const members = [m('a', 'r1', 'lb-1'), m('b', 'r1', 'lb-1'), m('c', 'r1', 'lb-2'), m('d', 'r2', 'lb-9')];
    const first = partitionFleet(members, all(members), 3);
    const shuffled = partitionFleet([...members].reverse(), all(members), 3);
    expect(shuffled).toEqual(first);
    const later = partitionFleet(members, new Set(['a', 'd']), 3);
    const keyOf = (ps: typeof first, name: string) => ps.find((p) => p.certificates.includes(name))?.key;
    expect(keyOf(later, 'a')).toBe(keyOf(first, 'a'));
    expect(keyOf(later, 'd')).toBe(keyOf(first, 'd'));
    expect(keyOf(first, 'a')).toMatch(/^[0-9a-f]{12}$/);
    expect(keyOf(first, 'a')).not.toBe(keyOf(first, 'd'));
  });

  it('a key depends on the region and the names', () => {
    expect(partitionKey('r1', ['a', 'b'])).not.toBe(partitionKey('r2', ['a', 'b']));
    expect(partitionKey('r1', ['a', 'b'])).not.toBe(partitionKey('r1', ['a', 'c']));
    expect(partitionKey('r1', ['ab'])).not.toBe(partitionKey('r1', ['a', 'b']));
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => partitionFleet([], new Set(), 0)).toThrow(/positive integer/);
    expect(() => partitionFleet([], new Set(), 1.5)).toThrow(/positive integer/);
  });
});

describe('fleetMembers and dueCertificates', () => {
  it('takes load balancers from listeners, domain extensions and the targets the plan found', () => {
    const c = {
      ...cert('a', 'r1', ['lb-1']),
      domainExtensions: [{ loadBalancerId: 'lb-2', port: 443, domain: 'x.example.com' }],
    };
    const plan = planFor([c], ['a']);
    (plan.certificates[0] as { targets: unknown[] }).targets = [
      {
        target: { kind: 'listener', regionId: 'r1', loadBalancerId: 'lb-3', port: 443 },
        name: 'lb-3:443',
        from: 'x',
        change: 'move',
      },
    ];
    expect(fleetMembers([c], plan)).toEqual([{ name: 'a', region: 'r1', loadBalancerIds: ['lb-1', 'lb-2', 'lb-3'] }]);
  });

  it('due means issue or resume, plus certificates whose state could not be read', () => {
    const certs = ['a', 'b', 'c'].map((n) => cert(n, 'r1', []));
    expect(dueCertificates(planFor(certs, ['a'], ['c']))).toEqual(new Set(['a', 'c']));
  });
});
