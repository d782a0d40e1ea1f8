/**
 * Bundles each function in functions/<name>/index.ts into dist/<name>/index.js (one CommonJS file, what FC's
 * nodejs20 runtime loads with handler `index.handler`), and the command line into dist/cli/index.cjs.
 * One file per function keeps the cold start to a single module read; the emulator and test code never reach a
 * bundle because nothing under functions/ or shared/ imports them (a test checks the output).
 */
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  // fc2 → ali-oss → urllib requires proxy-agent lazily and never on the paths used here.
  external: ['proxy-agent'],
  metafile: true,
};

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

await rm(join(root, 'dist'), { recursive: true, force: true });
const functions = (await readdir(join(root, 'functions'), { withFileTypes: true })).filter((d) => d.isDirectory());
for (const fn of functions) {
  const outdir = join(root, 'dist', fn.name);
  await build({ ...common, entryPoints: [join(root, 'functions', fn.name, 'index.ts')], outfile: join(outdir, 'index.js') });
  // A deployment may carry its configuration in the code package instead of an environment variable.
  const config = join(root, 'rotator.yaml');
  if (await exists(config)) {
    await mkdir(outdir, { recursive: true });
    await copyFile(config, join(outdir, 'rotator.yaml'));
  }
}
await build({
  ...common,
  entryPoints: [join(root, 'cli', 'index.ts')],
  outfile: join(root, 'dist', 'cli', 'index.cjs'),
  banner: { js: '#!/usr/bin/env node' },
});
process.stdout.write(`built ${functions.map((f) => `dist/${f.name}/index.js`).join(', ')}, dist/cli/index.cjs\n`);
