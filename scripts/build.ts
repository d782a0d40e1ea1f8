/**
 * Bundles each function in functions/<name>/index.ts into <out>/<name>/index.js (one CommonJS file, what FC's
 * nodejs20 runtime loads with handler `index.handler`), and the command line into <out>/cli/index.cjs.
 * One file per function keeps the cold start to a single module read (packages only some runs need are split out,
 * see LAZY_PACKAGES); the emulator and test code never reach a bundle because nothing under functions/ or shared/
 * imports them (a test checks the output).
 */
import { copyFile, cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

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

/**
 * Packages only some runs need: each goes into a file of its own next to the bundle, read the first time a dynamic
 * `import()` asks for it. acme-client (with node-forge and @peculiar/*) only when a certificate is due; fc2 (with
 * ali-oss, urllib and iconv-lite) only when a run fans out or the operator starts one. A daily run with nothing due
 * neither reads nor compiles them, about half of the code. `.cjs`: the CLI's directory has no package.json saying
 * CommonJS.
 */
const LAZY_PACKAGES: Readonly<Record<string, string>> = {
  'acme-client': 'vendor/acme-client.cjs',
  '@alicloud/fc2': 'vendor/fc2.cjs',
};

const lazyPackages: Plugin = {
  name: 'lazy-packages',
  setup(b) {
    const names = Object.keys(LAZY_PACKAGES).map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => {
      const file = LAZY_PACKAGES[args.path] as string;
      // A static import would load it with the bundle, and a second copy would be bundled in: refuse both.
      if (args.kind !== 'dynamic-import') {
        return { errors: [{ text: `${args.path} must be loaded with import() (it is split out of the bundle)` }] };
      }
      return { path: `./${file}`, external: true };
    });
  },
};

/**
 * The lazily loaded packages, each as one CommonJS file: built once, into the first bundle directory's `vendor/`,
 * and copied beside the other bundles (they are the same files).
 */
async function placeLazyPackages(bundleDirs: readonly string[]): Promise<void> {
  const [first, ...others] = bundleDirs;
  if (first === undefined) return;
  for (const [name, file] of Object.entries(LAZY_PACKAGES)) {
    await build({
      ...common,
      stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: 'js' },
      outfile: join(first, file),
    });
  }
  for (const dir of others) await cp(join(first, 'vendor'), join(dir, 'vendor'), { recursive: true });
}

export interface BuildResult {
  functions: { name: string; file: string; inputs: string[] }[];
  cli: string;
}

export async function buildAll(outDir = join(root, 'dist')): Promise<BuildResult> {
  await rm(outDir, { recursive: true, force: true });
  const dirs = (await readdir(join(root, 'functions'), { withFileTypes: true })).filter((d) => d.isDirectory());
  const functions: BuildResult['functions'] = [];
  for (const fn of dirs) {
    const file = join(outDir, fn.name, 'index.js');
    const result = await build({
      ...common,
      entryPoints: [join(root, 'functions', fn.name, 'index.ts')],
      outfile: file,
      plugins: [lazyPackages],
    });
    functions.push({ name: fn.name, file, inputs: Object.keys((result.metafile as Metafile).inputs) });
    // The bundle is CommonJS; say so in the code package itself, whatever package.json encloses it.
    await writeFile(join(outDir, fn.name, 'package.json'), '{ "type": "commonjs" }\n');
    // A deployment may carry its configuration in the code package instead of an environment variable.
    const config = join(root, 'rotator.yaml');
    if (await exists(config)) {
      await mkdir(join(outDir, fn.name), { recursive: true });
      await copyFile(config, join(outDir, fn.name, 'rotator.yaml'));
    }
  }
  const cli = join(outDir, 'cli', 'index.cjs');
  await build({
    ...common,
    entryPoints: [join(root, 'cli', 'index.ts')],
    outfile: cli,
    banner: { js: '#!/usr/bin/env node' },
    plugins: [lazyPackages],
  });
  await placeLazyPackages([...functions.map((f) => dirname(f.file)), dirname(cli)]);
  return { functions, cli };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await buildAll();
  process.stdout.write(
    `built ${[...result.functions.map((f) => f.file), result.cli].map((f) => f.replace(root, '')).join(', ')}\n`,
  );
}
