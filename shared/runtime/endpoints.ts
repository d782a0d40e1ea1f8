import { ConfigError } from '../errors.js';

/** Regions served by the central SLB host; every other region has its own host (from the SDK's endpoint map). */
const CENTRAL_SLB_REGIONS = new Set([
  'cn-qingdao',
  'cn-beijing',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-shenzhen',
  'cn-hongkong',
  'ap-southeast-1',
  'us-east-1',
  'us-west-1',
  'cn-hangzhou-finance',
  'cn-shanghai-finance-1',
  'cn-shenzhen-finance-1',
  'cn-north-2-gov-1',
]);

export interface Endpoints {
  slb(regionId: string): string;
  alidns: string;
}

/** Empty or unset means the default; a bad value is a ConfigError naming every bad variable. */
export function resolveEndpoints(env: Readonly<Record<string, string | undefined>>): Endpoints {
  const issues: string[] = [];
  const slbOverride = validUrl(env.ROTATOR_SLB_ENDPOINT, 'ROTATOR_SLB_ENDPOINT', issues);
  const alidnsOverride = validUrl(env.ROTATOR_ALIDNS_ENDPOINT, 'ROTATOR_ALIDNS_ENDPOINT', issues);
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    slb: (regionId) => slbOverride ?? defaultSlbEndpoint(regionId),
    alidns: alidnsOverride ?? 'https://alidns.aliyuncs.com',
  };
}

export function defaultSlbEndpoint(regionId: string): string {
  return CENTRAL_SLB_REGIONS.has(regionId) ? 'https://slb.aliyuncs.com' : `https://slb.${regionId}.aliyuncs.com`;
}

function validUrl(value: string | undefined, name: string, issues: string[]): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    if (url.search || url.username || url.password) throw new Error('extra parts');
    return url.toString().replace(/\/$/, '');
  } catch {
    // The value is not echoed: a rejected URL may be rejected precisely because it carries credentials.
    issues.push(`${name}: not an http(s) URL without query string or user:password`);
    return undefined;
  }
}
