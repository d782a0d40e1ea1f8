import type { z } from 'zod';
import { readAcmeAccountKey } from '../certs/private-key.js';
import { ConfigError } from '../errors.js';
import { resolveNotifySettings } from '../notify/settings.js';
import { resolveWatchList } from '../watch/settings.js';
import { eabHmacKeyProblem } from './eab-hmac-key.js';
import { ACME_PRESETS, configSchema, type RawConfig } from './schema.js';
import { readTextFile } from './read-text-file.js';
import { describeSecretSource, type Environment, readSecret, registerSecretText } from './secrets.js';
import type { ManagedCertificate, RotatorConfig } from './types.js';
import {
  displayableKey,
  listProblems,
  MAX_CONFIG_BYTES,
  MAX_LISTED_PROBLEMS,
  parseYaml,
  type YamlData,
} from './yaml-data.js';

const DEFAULT_REMAINING_FRACTION = 1 / 3;
const DEFAULT_SPREAD = 0.02;
const DEFAULT_RETAIN = 1;

/** Where the configuration comes from: inline text (ROTATOR_CONFIG) or a file. */
export type ConfigSource = { text: string; origin: string } | { file: string };

export interface LoadOptions {
  /** For `account create`: the account key is what is being made, so its reference is neither read nor required. */
  creatingAccountKey?: boolean;
}

export async function loadConfig(
  source: ConfigSource,
  env: Environment,
  options: LoadOptions = {},
): Promise<RotatorConfig> {
  if (!('file' in source)) return parseConfig(source.text, source.origin, env, options);
  const read = await readConfigText(source.file);
  if ('problem' in read) throw new ConfigError([`${source.file}: ${read.problem}`]);
  return parseConfig(read.text, source.file, env, options);
}

/**
 * The text of a configuration file, or what is wrong with the file itself (`is a FIFO (named pipe), not a regular
 * file`, `is 3145728 bytes; the limit is 1 MiB`, `cannot be read (ENOENT)`), for callers that report that part
 * differently from what the file says. Never blocks on a FIFO and never reads past the size limit.
 */
export function readConfigText(path: string): Promise<{ text: string } | { problem: string }> {
  return readTextFile(path, MAX_CONFIG_BYTES);
}

export async function parseConfig(
  text: string,
  origin: string,
  env: Environment,
  options: LoadOptions = {},
): Promise<RotatorConfig> {
  const yaml = parseYaml(text, origin);
  const foreign = notAConfiguration(yaml.data);
  if (foreign) throw new ConfigError([`${origin}: not a rotator configuration: ${foreign}`]);
  const result = configSchema.safeParse(yaml.data);
  if (!result.success) {
    const { issues } = result.error;
    // Only the listed issues are described: locating and formatting is per issue, and there may be very many.
    const described = issues.slice(0, MAX_LISTED_PROBLEMS).map((issue) => describeIssue(issue, yaml, origin));
    throw new ConfigError(listProblems(described, issues.length));
  }
  return resolve(result.data, env, origin, options);
}

const TOP_LEVEL_FIELDS = Object.keys(configSchema.shape);

/**
 * Why the data is plainly something other than a rotator configuration (a passwd file, a Kubernetes manifest, a
 * key), or undefined. Said in general terms: listing such a file's keys as "unknown fields" would print it back.
 */
function notAConfiguration(data: unknown): string | undefined {
  if (data === null || data === undefined) return 'the file is empty';
  if (typeof data !== 'object' || Array.isArray(data)) {
    return `the top level is ${Array.isArray(data) ? 'a list' : 'a single value'}, not a mapping with the fields ${TOP_LEVEL_FIELDS.join(', ')}`;
  }
  const keys = Object.keys(data);
  if (keys.some((k) => TOP_LEVEL_FIELDS.includes(k))) return undefined;
  return `none of its ${keys.length} top-level key(s) is one of ${TOP_LEVEL_FIELDS.join(', ')}`;
}

/** Unknown keys are named only when they look like field names, and only the first few. */
const MAX_LISTED_KEYS = 10;

function describeIssue(issue: z.core.$ZodIssue, yaml: YamlData, origin: string): string {
  const path = formatPath(issue.path);
  const line = yaml.lineOf(issue.path);
  const where = `${origin}${line ? `:${line}` : ''}`;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = describeUnknownKeys(issue.keys);
  if (issue.code === 'invalid_type' && message.includes('received undefined')) message = 'required';
  return `${where}: ${path || '(top level)'}: ${message}`;
}

function describeUnknownKeys(keys: readonly string[]): string {
  const shown = keys.map(displayableKey).filter((k): k is string => k !== undefined);
  const listed = shown.slice(0, MAX_LISTED_KEYS);
  const rest = keys.length - listed.length;
  if (listed.length === 0) return `${keys.length} unknown field(s)`;
  return `unknown field(s): ${listed.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

async function resolve(raw: RawConfig, env: Environment, origin: string, options: LoadOptions): Promise<RotatorConfig> {
  const problems: string[] = [];
  const preset = Object.hasOwn(ACME_PRESETS, raw.acme.directory)
    ? ACME_PRESETS[raw.acme.directory as keyof typeof ACME_PRESETS]
    : undefined;
  const directoryUrl = preset ? preset.url : raw.acme.directory;
  const production = preset ? preset.production : raw.acme.production === true;

  let accountKeyPem: string | undefined;
  if (options.creatingAccountKey) {
    // Nothing to read: the key does not exist yet.
  } else if (raw.acme.accountKey) {
    const secret = await readSecret(raw.acme.accountKey, env);
    if ('problem' in secret) problems.push(`${origin}: acme.accountKey: ${secret.problem}`);
    else {
      registerSecretText(secret.value);
      // Checked here, not at the CA: a wrong key would otherwise fail every run with a message about TLS trust.
      const key = readAcmeAccountKey(secret.value);
      if ('problem' in key) {
        problems.push(`${origin}: acme.accountKey: ${describeSecretSource(raw.acme.accountKey)} ${key.problem}`);
      } else accountKeyPem = key.pem;
    }
  } else if (production) {
    // A new account on every invocation runs into the CA's account-creation limits; refuse before anything runs.
    problems.push(
      `${origin}: acme.accountKey: required for a production CA (${directoryUrl}); create one with ` +
        '`slb-cert-rotator account create --config FILE --out KEYFILE` and reference it as {env: …} or {file: …}',
    );
  }

  let externalAccountBinding: RotatorConfig['acme']['externalAccountBinding'];
  if (raw.acme.externalAccountBinding) {
    const ref = raw.acme.externalAccountBinding.hmacKey;
    const secret = await readSecret(ref, env);
    if ('problem' in secret) problems.push(`${origin}: acme.externalAccountBinding.hmacKey: ${secret.problem}`);
    else {
      const hmacKey = secret.value.trim();
      registerSecretText(hmacKey);
      const problem = eabHmacKeyProblem(hmacKey);
      if (problem) {
        problems.push(`${origin}: acme.externalAccountBinding.hmacKey: ${describeSecretSource(ref)} ${problem}`);
      } else externalAccountBinding = { kid: raw.acme.externalAccountBinding.kid, hmacKey };
    }
  }
  const notify = await resolveNotifySettings(raw, env, origin);
  problems.push(...notify.problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const certificates: ManagedCertificate[] = raw.certificates.map((c) => {
    const renewal = c.renewal ?? raw.defaults.renewal ?? {};
    return {
      name: c.name,
      domains: c.domains,
      // The schema guarantees one of the two is present.
      region: (c.region ?? raw.defaults.region) as string,
      keyType: c.keyType ?? raw.defaults.keyType ?? 'rsa-2048',
      renewal: {
        ...(renewal.daysBeforeExpiry !== undefined
          ? { daysBeforeExpiry: renewal.daysBeforeExpiry }
          : { remainingFraction: renewal.remainingFraction ?? DEFAULT_REMAINING_FRACTION }),
        spread: renewal.spread ?? DEFAULT_SPREAD,
      },
      listeners: c.listeners,
      domainExtensions: c.domainExtensions,
      byReference: c.byReference ?? raw.defaults.byReference ?? false,
      retain: c.retain ?? raw.defaults.retain ?? DEFAULT_RETAIN,
    };
  });

  return {
    acme: {
      directoryUrl,
      production,
      email: raw.acme.email,
      accountKeyPem,
      externalAccountBinding,
      ...(raw.acme.maxNewOrdersPerRun !== undefined ? { maxNewOrdersPerRun: raw.acme.maxNewOrdersPerRun } : {}),
    },
    dns: raw.dns,
    slb: raw.slb,
    status: raw.status,
    ...(raw.run ? { run: raw.run } : {}),
    certificates,
    ...(notify.alerts ? { alerts: notify.alerts } : {}),
    ...(notify.heartbeat ? { heartbeat: notify.heartbeat } : {}),
    watch: resolveWatchList(raw.watch),
  };
}
