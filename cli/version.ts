import pkg from '../package.json' with { type: 'json' };

/** Bundled from package.json by esbuild; read from it directly under tsx and vitest. */
export const VERSION: string = pkg.version;
