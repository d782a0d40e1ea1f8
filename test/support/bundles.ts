import { inject } from 'vitest';
import type { BuildResult } from '../../scripts/build.js';

/**
 * The function and CLI bundles test/global-setup.ts built for this run. Shared by every file: read them, run them,
 * never write next to them.
 */
export function builtBundles(): BuildResult {
  return inject('bundles');
}
