/**
 * Runs bench/lib/rotator-child.ts as a bundled CommonJS file in a fresh Node process (no tsx in it, so its memory is
 * close to the deployed function's), with acme-client left out of the bundle so that loading it shows in the
 * module cache.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { ChildResult } from './rotator-child.js';

const root = new URL('../..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

export interface ChildRun extends ChildResult {
  /** Spawn to exit, in the benchmark's process: start-up included. */
  processMs: number;
}

export interface RotatorChild {
  run(configYaml: string, env: Record<string, string>): Promise<ChildRun>;
  dispose(): Promise<void>;
}

interface SharedBundle {
  built: Promise<{ dir: string; file: string }>;
  users: number;
}

// Benchmarks running side by side in one process (the tiny-size test) share one bundle: building it is the
// expensive part on a busy machine. The last one to let go removes it.
let shared: SharedBundle | undefined;

export async function bundleRotatorChild(): Promise<RotatorChild> {
  shared ??= { built: buildBundle(), users: 0 };
  const bundle = shared;
  bundle.users += 1;
  let released = false;
  const dispose = async () => {
    if (released) return;
    released = true;
    bundle.users -= 1;
    if (bundle.users > 0) return;
    if (shared === bundle) shared = undefined;
    const built = await bundle.built.catch(() => undefined);
    if (built) await rm(built.dir, { recursive: true, force: true });
  };
  try {
    const { file } = await bundle.built;
    return { run: (configYaml, env) => runChild(file, configYaml, env), dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

async function buildBundle(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-child-'));
  const file = join(dir, 'rotator-child.cjs');
  try {
    await build({
      entryPoints: [join(root, 'bench/lib/rotator-child.ts')],
      outfile: file,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'error',
      external: ['proxy-agent'],
      plugins: [
        {
          name: 'acme-client-outside',
          // Kept out of the bundle by absolute path (the bundle sits in a temp directory without node_modules).
          setup(b) {
            b.onResolve({ filter: /^acme-client$/ }, () => ({ path: require.resolve('acme-client'), external: true }));
          },
        },
      ],
    });
    return { dir, file };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function runChild(file: string, configYaml: string, env: Record<string, string>): Promise<ChildRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`rotator child exited with ${code}: ${err.trim().slice(-2000) || out.slice(-2000)}`));
        return;
      }
      resolve({ ...(JSON.parse(last) as ChildResult), processMs });
    });
    child.stdin.end(configYaml);
  });
}

/** Throws with the first failing reasons unless every record has the expected outcome. */
export function expectOutcome(run: ChildRun, outcome: string): void {
  const bad = run.records.filter((r) => r.outcome !== outcome);
  if (bad.length === 0) return;
  const shown = bad
    .slice(0, 5)
    .map((r) => `${r.certificate}: ${r.outcome}${r.stage ? ` at ${r.stage}` : ''}: ${r.reason}`)
    .join('; ');
  throw new Error(`${bad.length} of ${run.records.length} certificate(s) were not ${outcome}: ${shown}`);
}

/** `dns 1200 ms, issue 3400 ms, …`: where a run's time went, summed over its certificates. */
export function stageSummary(run: ChildRun): string {
  return Object.entries(run.stageMs)
    .map(([stage, t]) => `${stage} ${t.toFixed(0)} ms`)
    .join(', ');
}
