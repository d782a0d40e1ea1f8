import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const runtime = new URL('../../sandbox/fc-local-runtime.cjs', import.meta.url).pathname;

export interface Invocation {
  /** What the handler returned (FC's invocation result). */
  result: unknown;
  /** Every stdout line: what Function Compute would ship to Log Service. */
  stdout: string;
  stderr: string;
}

/** Invokes a bundled handler in its own Node process, the way Function Compute's runtime does. */
export async function invokeBundle(
  bundle: string,
  event: unknown,
  context: Record<string, unknown>,
  env: Record<string, string>,
): Promise<Invocation> {
  const dir = await mkdtemp(join(tmpdir(), 'fc-invoke-'));
  try {
    const eventFile = join(dir, 'event.json');
    const contextFile = join(dir, 'context.json');
    await writeFile(eventFile, typeof event === 'string' ? event : JSON.stringify(event));
    await writeFile(contextFile, JSON.stringify(context), { mode: 0o600 });
    const { stdout, stderr } = await run(process.execPath, [runtime, bundle, eventFile, contextFile], {
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    const returned = /fc-local-runtime: handler returned (.*)$/m.exec(stderr)?.[1];
    return { result: returned === undefined ? undefined : JSON.parse(returned), stdout, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
