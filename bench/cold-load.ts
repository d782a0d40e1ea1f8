/**
 * What a cold start of the rotation function costs on top of starting Node at all: a fresh `node` that requires the
 * bundled handler (dist/rotate/index.js, built into a temp directory exactly as `npm run build` does) and exits,
 * against a bare `node -e 0`. Runs alternate so a busy machine slows both alike; medians are compared.
 *
 * `npm run bench -- cold-load [--rounds 15]`
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAll } from '../scripts/build.js';
import { type Benchmark, positiveInt } from './lib/context.js';
import { median, ms, ratioLine } from './lib/report.js';

function timeNode(args: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`node ${args.join(' ')} exited with ${code}: ${err.trim().slice(-1500)}`)),
    );
  });
}

export const coldLoad: Benchmark = async (args, { write }) => {
  const { values } = parseArgs({ args, options: { rounds: { type: 'string' } } });
  const rounds = positiveInt('rounds', values.rounds, 15);
  const dir = await mkdtemp(join(tmpdir(), 'bench-cold-'));
  try {
    const built = await buildAll(dir);
    const rotate = built.functions.find((f) => f.name === 'rotate');
    if (!rotate) throw new Error('the build produced no rotate function');
    // What FC's loader does with handler `index.handler`: require the file and take the export.
    const load = ['-e', `if (typeof require(${JSON.stringify(rotate.file)}).handler !== 'function') process.exit(3)`];
    const bare = ['-e', '0'];
    const loads: number[] = [];
    const bares: number[] = [];
    // One untimed pair first: the file system cache is cold for the bundle only once.
    await timeNode(load);
    await timeNode(bare);
    for (let i = 0; i < rounds; i++) {
      loads.push(await timeNode(load));
      bares.push(await timeNode(bare));
    }
    const l = median(loads);
    const b = median(bares);
    write(
      `cold-load: ${rounds} alternating round(s): node requiring the bundled handler ${ms(l)}, node -e 0 ${ms(b)} (medians)`,
    );
    write(ratioLine('cold-load', l / b, { op: '≤', value: 2 }, 'handler cold load ÷ node -e 0'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
