import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const policy = JSON.parse(readFileSync(new URL('deploy/ram-policy.json', root), 'utf8')) as {
  Statement: { Effect: string; Action: string[]; Resource: string | string[] }[];
};
const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => s.Action));

/** Every API action the adapters call: the first argument of `rpc.call(...)`, a PascalCase string literal. */
function calledActions(): { product: string; action: string }[] {
  const dir = new URL('shared/adapters/aliyun/', root);
  const found: { product: string; action: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const product = file.startsWith('alidns') ? 'alidns' : file.startsWith('slb') ? 'slb' : undefined;
    if (!product) continue;
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const m of text.matchAll(/\(\s*'([A-Z][a-z]+[A-Z][A-Za-z]+)',/g))
      found.push({ product, action: m[1] as string });
  }
  // Function Compute: the adapter names its one action in `const ACTION = '…'` (the operator's POST /rotate).
  const fcDir = new URL('shared/adapters/fc/', root);
  for (const file of readdirSync(fcDir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, fcDir), 'utf8');
    for (const m of text.matchAll(/const ACTION = '([A-Z][A-Za-z]+)'/g))
      found.push({ product: 'fc', action: m[1] as string });
  }
  return found;
}

describe('deploy/ram-policy.json', () => {
  const actions = calledActions();

  it('finds the actions the adapters call', () => {
    expect(actions.length).toBeGreaterThanOrEqual(13);
    expect(actions).toContainEqual({ product: 'slb', action: 'UploadServerCertificate' });
    expect(actions).toContainEqual({ product: 'alidns', action: 'AddDomainRecord' });
    expect(actions).toContainEqual({ product: 'fc', action: 'InvokeFunction' });
  });

  it('grants fc:InvokeFunction on the rotation and worker functions only (the operator starts runs, the coordinator starts workers)', () => {
    const sYaml = parse(readFileSync(new URL('s.yaml', root), 'utf8')) as {
      resources: Record<string, { props: { functionName: string } }>;
    };
    const statements = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith('fc:')));
    // FC 3.0 function ARN: acs:fc:<region>:<account>:functions/<name>.
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['fc:InvokeFunction'],
        Resource: [
          `acs:fc:*:*:functions/${sYaml.resources.rotator?.props.functionName}`,
          `acs:fc:*:*:functions/${sYaml.resources.worker?.props.functionName}`,
        ],
      },
    ]);
  });

  it('allows every action the adapters call', () => {
    const missing = actions.map((a) => `${a.product}:${a.action}`).filter((a) => !allowed.has(a));
    expect(missing).toEqual([]);
  });

  it('allows nothing else (least privilege), except tagging on upload', () => {
    const called = new Set(actions.map((a) => `${a.product}:${a.action}`));
    // UploadServerCertificate carries Tag.N; whether that needs slb:TagResources as well is UNCONFIRMED, so it is granted.
    const extra = [...allowed].filter((a) => !called.has(a) && a !== 'slb:TagResources');
    expect(extra).toEqual([]);
  });
});
