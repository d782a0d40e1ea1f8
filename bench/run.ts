/**
 * `npm run bench` lists the benchmarks; `npm run bench -- <name> [flags]` starts Pebble (the real test CA), runs that
 * benchmark in a Node process that trusts it (NODE_EXTRA_CA_CERTS is read only at start-up), then stops Pebble.
 */
import { spawn } from 'node:child_process';
import { ensurePebbleInstalled, startPebble } from '../sandbox/pebble.js';
import { BENCHMARKS } from './benchmarks.js';

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  process.stdout.write('Benchmarks (npm run bench -- <name> [flags]; defaults shown):\n');
  for (const b of BENCHMARKS) process.stdout.write(`  ${b.name.padEnd(18)} ${b.flags.padEnd(28)} ${b.summary}\n`);
  process.exit(0);
}
const entry = BENCHMARKS.find((b) => b.name === name);
if (!entry) {
  process.stderr.write(`unknown benchmark ${JSON.stringify(name)}; run \`npm run bench\` for the list\n`);
  process.exit(2);
}

if (entry.pebble) await ensurePebbleInstalled();
const pebble = entry.pebble ? await startPebble() : undefined;
try {
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('main.ts', import.meta.url).pathname, name, ...args],
      {
        stdio: 'inherit',
        env: {
          ...process.env,
          ...(pebble
            ? {
                NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
                BENCH_ACME_DIRECTORY: pebble.directoryUrl,
                BENCH_CHALLTESTSRV: pebble.challtestsrvUrl,
                BENCH_DNS_SERVER: pebble.dnsServer,
              }
            : {}),
        },
      },
    );
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  process.exitCode = code;
} finally {
  await pebble?.stop();
}
