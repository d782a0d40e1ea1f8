import { resolve } from 'node:path';
import type { ConfigSource } from '../config/load-config.js';

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
