import { secretRef } from '../../shared/config/schema.js';

interface Def {
  type: string;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  shape?: Record<string, unknown>;
  options?: unknown[];
}

/**
 * Every setting path the schema accepts: `slb.certificateQuota`, `certificates[].domainExtensions[].domain`. A secret
 * reference (`{env}` or `{file}`) is one setting, and a list of plain values is named without `[]`.
 */
export function settingPaths(schema: unknown, prefix: string): string[] {
  if (schema === secretRef) return [prefix];
  const def = (schema as { _zod: { def: Def } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
      return settingPaths(def.innerType, prefix);
    case 'pipe':
      return settingPaths(def.in, prefix);
    case 'array': {
      const inner = settingPaths(def.element, `${prefix}[]`);
      return inner.length === 1 && inner[0] === `${prefix}[]` ? [prefix] : inner;
    }
    case 'object':
      return Object.entries(def.shape ?? {}).flatMap(([k, v]) => settingPaths(v, prefix ? `${prefix}.${k}` : k));
    case 'union': {
      // A discriminated union of objects (alert channels): the union of their fields.
      const each = (def.options ?? []).map((o) => settingPaths(o, prefix));
      if (each.some((p) => p.length === 1 && p[0] === prefix)) return [prefix];
      return [...new Set(each.flat())];
    }
    default:
      return [prefix];
  }
}
