import { resolve } from 'node:path';
import { type ConfigSource, loadConfig } from '../config/load-config.js';
import type { RotatorConfig } from '../config/types.js';

/**
 * Where a deployed function finds its configuration: inline YAML in ROTATOR_CONFIG (handy with Serverless Devs
 * `${env(...)}`), a path in ROTATOR_CONFIG_FILE, or `rotator.yaml` in the code directory (the build copies it there).
 */
export function configSourceFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  cwd = env.FC_FUNC_CODE_PATH || process.cwd(),
): ConfigSource {
  if (env.ROTATOR_CONFIG?.trim()) return { text: env.ROTATOR_CONFIG, origin: 'ROTATOR_CONFIG' };
  return { file: resolve(cwd, env.ROTATOR_CONFIG_FILE?.trim() || 'rotator.yaml') };
}

/**
 * A deployed function's configuration, parsed once per instance: it changes only with a deployment. A failed parse
 * is not kept, so the next invocation reports the problem again (or succeeds once the environment is fixed).
 */
export function configLoaderFromEnvironment(): (
  env: Readonly<Record<string, string | undefined>>,
) => Promise<RotatorConfig> {
  let cached: Promise<RotatorConfig> | undefined;
  return (env) => {
    cached ??= loadConfig(configSourceFromEnvironment(env), env);
    cached.catch(() => {
      cached = undefined;
    });
    return cached;
  };
}
