import { readFile } from 'node:fs/promises';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { resolveNotifySettings } from '../notify/settings.js';
import { ACME_PRESETS, configSchema, type RawConfig } from './schema.js';
import { type Environment, readSecret } from './secrets.js';
import type { ManagedCertificate, RotatorConfig } from './types.js';

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
  let text: string;
  let origin: string;
  if ('file' in source) {
    origin = source.file;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError([`${source.file}: cannot be read (${code})`], { cause: err });
    }
  } else {
    ({ text, origin } = source);
  }
  return parseConfig(text, origin, env, options);
}

export async function parseConfig(
  text: string,
  origin: string,
  env: Environment,
  options: LoadOptions = {},
): Promise<RotatorConfig> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${origin}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const result = configSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => describeIssue(issue, doc, lineCounter, origin)));
  }
  return resolve(result.data, env, origin, options);
}

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  origin: string,
): string {
  const path = formatPath(issue.path);
  const line = lineOf(doc, issue.path, lines);
  const where = `${origin}${line ? `:${line}` : ''}`;
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && message.includes('received undefined')) message = 'required';
  return `${where}: ${path || '(top level)'}: ${message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

/** The line of the deepest node of `path` that exists in the document, so errors point into the file. */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  path: readonly PropertyKey[],
  lines: LineCounter,
): number | undefined {
  let node: unknown = doc.contents;
  let found: { range?: [number, number, number] | null } | undefined;
  for (const key of path) {
    if (isMap(node)) node = node.get(key as string, true);
    else if (isSeq(node) && typeof key === 'number') node = node.get(key, true);
    else break;
    if (!node) break;
    found = node as typeof found;
  }
  const offset = found?.range?.[0] ?? (doc.contents?.range?.[0] as number | undefined);
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

async function resolve(raw: RawConfig, env: Environment, origin: string, options: LoadOptions): Promise<RotatorConfig> {
  const problems: string[] = [];
  const preset = ACME_PRESETS[raw.acme.directory as keyof typeof ACME_PRESETS];
  const directoryUrl = preset ? preset.url : raw.acme.directory;
  const production = preset ? preset.production : raw.acme.production === true;

  let accountKeyPem: string | undefined;
  if (options.creatingAccountKey) {
    // Nothing to read: the key does not exist yet.
  } else if (raw.acme.accountKey) {
    const secret = await readSecret(raw.acme.accountKey, env);
    if ('problem' in secret) problems.push(`${origin}: acme.accountKey: ${secret.problem}`);
    else accountKeyPem = secret.value;
  } else if (production) {
    // A new account on every invocation runs into the CA's account-creation limits; refuse before anything runs.
    problems.push(
      `${origin}: acme.accountKey: required for a production CA (${directoryUrl}); create one with ` +
        '`slb-cert-rotator account create --config FILE --out KEYFILE` and reference it as {env: …} or {file: …}',
    );
  }

  let externalAccountBinding: RotatorConfig['acme']['externalAccountBinding'];
  if (raw.acme.externalAccountBinding) {
    const secret = await readSecret(raw.acme.externalAccountBinding.hmacKey, env);
    if ('problem' in secret) problems.push(`${origin}: acme.externalAccountBinding.hmacKey: ${secret.problem}`);
    else externalAccountBinding = { kid: raw.acme.externalAccountBinding.kid, hmacKey: secret.value.trim() };
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
    acme: { directoryUrl, production, email: raw.acme.email, accountKeyPem, externalAccountBinding },
    dns: raw.dns,
    slb: raw.slb,
    certificates,
    ...(notify.alerts ? { alerts: notify.alerts } : {}),
    ...(notify.heartbeat ? { heartbeat: notify.heartbeat } : {}),
  };
}
