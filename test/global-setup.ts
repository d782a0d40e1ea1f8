/**
 * vitest globalSetup: the function and CLI bundles are built once per test run, into a private directory removed
 * at the end, and handed to the test files that run them (test/support/bundles.ts). Building them per file cost
 * seconds of CPU each on a 2-core machine; the bundles a run tests are the same for every file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type BuildResult, buildAll } from '../scripts/build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    bundles: BuildResult;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'rotator-bundles-'));
  project.provide('bundles', await buildAll(join(dir, 'dist')));
  return () => rm(dir, { recursive: true, force: true });
}
