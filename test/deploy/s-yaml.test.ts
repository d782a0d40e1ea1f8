import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('test/deploy/fc3-props.schema.json', root), 'utf8'));
const raw = parse(readFileSync(new URL('s.yaml', root), 'utf8')) as { vars?: Record<string, string> };
/**
 * `s deploy` resolves magic variables before the component validates props: `${vars.x}` from the file, and
 * `${env('X')}` from the deployer's environment (a placeholder here).
 */
function resolveMagic(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/\$\{vars\.([A-Za-z0-9_]+)\}/g, (_, k: string) => {
        const v = raw.vars?.[k];
        if (v === undefined) throw new Error(`s.yaml uses \${vars.${k}} but defines no such variable`);
        return v;
      })
      .replace(/\$\{env\('([A-Za-z0-9_]+)'\)\}/g, (_, k: string) => `<env ${k}>`);
  }
  if (Array.isArray(value)) return value.map(resolveMagic);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveMagic(v)]));
  }
  return value;
}
const sYaml = resolveMagic(raw) as {
  edition: string;
  resources: Record<string, { component: string; props: Record<string, unknown> }>;
};

function validate(props: unknown) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const check = ajv.compile(schema);
  return { ok: check(props) as boolean, errors: ajv.errorsText(check.errors) };
}

describe('s.yaml', () => {
  const fc3 = Object.entries(sYaml.resources).filter(([, r]) => r.component === 'fc3');

  it('is a Serverless Devs 3 project with at least one fc3 resource', () => {
    expect(sYaml.edition).toBe('3.0.0');
    expect(fc3.length).toBeGreaterThan(0);
  });

  for (const [name, resource] of fc3) {
    it(`${name}: props validate against the fc3 schema`, () => {
      const result = validate(resource.props);
      expect(result.errors).toBe('No errors');
      expect(result.ok).toBe(true);
    });
  }

  it('the schema check can fail (a props object without runtime is rejected)', () => {
    const [, first] = fc3[0] ?? [];
    const { runtime: _ignored, ...withoutRuntime } = first?.props ?? {};
    expect(validate(withoutRuntime).ok).toBe(false);
  });

  it('the rotation function: nodejs20, a daily timer with a 6-field cron, an authenticated POST trigger, one run at a time', () => {
    const props = sYaml.resources.rotator?.props as {
      runtime: string;
      handler: string;
      code: string;
      concurrencyConfig: { reservedConcurrency: number };
      triggers: { triggerType: string; triggerConfig: Record<string, unknown> }[];
    };
    expect(props.runtime).toBe('nodejs20');
    expect(props.handler).toBe('index.handler');
    expect(props.code).toBe('./dist/rotate');
    expect(props.concurrencyConfig.reservedConcurrency).toBe(1);
    const timer = props.triggers.find((t) => t.triggerType === 'timer');
    const http = props.triggers.find((t) => t.triggerType === 'http');
    expect(String(timer?.triggerConfig.cronExpression).split(/\s+/)).toHaveLength(6);
    expect(JSON.parse(String(timer?.triggerConfig.payload))).toEqual({ force: false });
    expect(http?.triggerConfig.authType).toBe('function');
    expect(http?.triggerConfig.methods).toEqual(['POST']);
  });

  it('the operator function: its own bundle and GET+POST trigger, signed by default, never limited to one request', () => {
    const props = sYaml.resources.operator?.props as {
      functionName: string;
      runtime: string;
      handler: string;
      code: string;
      timeout: number;
      instanceConcurrency: number;
      concurrencyConfig?: unknown;
      role: string;
      environmentVariables: Record<string, string>;
      triggers: { triggerType: string; triggerConfig: Record<string, unknown> }[];
    };
    const rotator = sYaml.resources.rotator?.props as { functionName: string; role: string };
    expect(props.runtime).toBe('nodejs20');
    expect(props.handler).toBe('index.handler');
    expect(props.code).toBe('./dist/operator');
    expect(props.functionName).not.toBe(rotator.functionName);
    // It must answer GET /status while the rotation function is busy with its single allowed run.
    expect(props.concurrencyConfig).toBeUndefined();
    expect(props.instanceConcurrency).toBeGreaterThan(1);
    expect(props.timeout).toBeGreaterThanOrEqual(60);
    expect(props.role).toBe(rotator.role);
    expect(props.environmentVariables.ROTATOR_ROTATE_FUNCTION).toBe(rotator.functionName);
    expect(props.environmentVariables.ROTATOR_OPERATOR_AUTH).toBe('function');
    expect(props.triggers).toHaveLength(1);
    const [http] = props.triggers;
    expect(http?.triggerType).toBe('http');
    expect(http?.triggerConfig.authType).toBe('function');
    expect(http?.triggerConfig.methods).toEqual(['GET', 'POST']);
  });

  it('the rotation function still allows one run at a time', () => {
    const props = sYaml.resources.rotator?.props as { instanceConcurrency: number };
    expect(props.instanceConcurrency).toBe(1);
  });

  it('fan-out: the coordinator invokes a worker function of the same code, retried and bounded by FC', () => {
    type Props = {
      functionName: string;
      code: string;
      handler: string;
      runtime: string;
      timeout: number;
      role: string;
      instanceConcurrency: number;
      concurrencyConfig: { reservedConcurrency: number };
      environmentVariables: Record<string, string>;
      triggers?: unknown[];
      asyncInvokeConfig: {
        maxAsyncRetryAttempts: number;
        maxAsyncEventAgeInSeconds: number;
        destinationConfig?: { onFailure?: { destination?: string } };
      };
    };
    const rotator = sYaml.resources.rotator?.props as Props;
    const worker = sYaml.resources.worker?.props as Props;
    expect(rotator.environmentVariables.ROTATOR_FANOUT).toBe('auto');
    expect(rotator.environmentVariables.ROTATOR_FANOUT_FUNCTION).toBe(worker.functionName);
    expect(worker.functionName).not.toBe(rotator.functionName);
    // The same bundle, configuration, role and timeout: maxPerWorker is derived from the coordinator's timeout.
    for (const k of ['code', 'handler', 'runtime', 'timeout', 'role'] as const) expect(worker[k]).toBe(rotator[k]);
    expect(worker.environmentVariables.ROTATOR_CONFIG).toBe(rotator.environmentVariables.ROTATOR_CONFIG);
    expect(worker.environmentVariables.ROTATOR_FANOUT).toBe('never');
    expect(worker.triggers).toBeUndefined();
    // Several partitions at once, one per instance.
    expect(worker.instanceConcurrency).toBe(1);
    expect(worker.concurrencyConfig.reservedConcurrency).toBeGreaterThan(1);
    for (const p of [rotator, worker]) {
      expect(p.asyncInvokeConfig.maxAsyncRetryAttempts).toBeGreaterThanOrEqual(1);
      expect(p.asyncInvokeConfig.maxAsyncRetryAttempts).toBeLessThanOrEqual(8);
      expect(p.asyncInvokeConfig.maxAsyncEventAgeInSeconds).toBeLessThanOrEqual(86_400);
    }
    expect(worker.asyncInvokeConfig.destinationConfig?.onFailure?.destination).toMatch(/^acs:(mns|fc):/);
  });

  it('the schema check can fail for the async settings (more than 8 retries is rejected)', () => {
    const worker = sYaml.resources.worker?.props as { asyncInvokeConfig: object };
    expect(
      validate({ ...worker, asyncInvokeConfig: { ...worker.asyncInvokeConfig, maxAsyncRetryAttempts: 9 } }).ok,
    ).toBe(false);
  });

  it('the schema check can fail for the operator too (concurrency above 200 per instance is rejected)', () => {
    expect(validate({ ...sYaml.resources.operator?.props, instanceConcurrency: 201 }).ok).toBe(false);
  });
});
