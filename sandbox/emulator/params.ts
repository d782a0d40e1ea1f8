import { ApiError, invalidParameter, missingParameter } from './errors.js';

/** Request parameters after decoding: POP sends everything as strings. */
export type Params = Readonly<Record<string, string>>;

export function required(params: Params, name: string): string {
  const v = params[name];
  if (v === undefined || v === '') throw missingParameter(name);
  return v;
}

export function optional(params: Params, name: string): string | undefined {
  const v = params[name];
  return v === undefined || v === '' ? undefined : v;
}

export function parseIntParam(name: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw)) throw invalidParameter(name, `The specified parameter "${name}" is not valid.`);
  const n = Number(raw);
  if (n < min || n > max) throw invalidParameter(name, `The specified parameter "${name}" is not valid.`);
  return n;
}

export function requiredInt(params: Params, name: string, min: number, max: number): number {
  return parseIntParam(name, required(params, name), min, max);
}

export function optionalInt(params: Params, name: string, min: number, max: number): number | undefined {
  const raw = optional(params, name);
  return raw === undefined ? undefined : parseIntParam(name, raw, min, max);
}

export function optionalEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const raw = optional(params, name);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw invalidParameter(name);
  return raw as T;
}

/**
 * `Tag.N.Key` / `Tag.N.Value` with N = 1..max, in N order. The key rules (≤64 chars, not `aliyun`/`acs:`-prefixed,
 * value ≤128) are the usual Alibaba Cloud tag rules.
 */
export function parseTags(params: Params, max = 20): Array<{ key: string; value: string }> {
  const byIndex = new Map<number, { key?: string; value?: string }>();
  for (const [name, value] of Object.entries(params)) {
    const m = /^Tag\.(\d+)\.(Key|Value)$/.exec(name);
    if (!m) continue;
    const n = Number(m[1]);
    if (n < 1 || n > max)
      throw invalidParameter(name, `The specified parameter "${name}" is not valid: N must be 1-${max}.`);
    const entry = byIndex.get(n) ?? {};
    if (m[2] === 'Key') entry.key = value;
    else entry.value = value;
    byIndex.set(n, entry);
  }
  const out: Array<{ key: string; value: string }> = [];
  for (const n of [...byIndex.keys()].sort((a, b) => a - b)) {
    const { key, value = '' } = byIndex.get(n) ?? {};
    if (key === undefined || key === '') throw missingParameter(`Tag.${n}.Key`);
    if (key.length > 64 || /^(aliyun|acs:)/i.test(key) || /https?:\/\//.test(key)) {
      throw new ApiError('InvalidTagKey', `The specified tag key "Tag.${n}.Key" is not valid.`);
    }
    if (value.length > 128 || /https?:\/\//.test(value)) {
      throw new ApiError('InvalidTagValue', `The specified tag value "Tag.${n}.Value" is not valid.`);
    }
    out.push({ key, value });
  }
  return out;
}
