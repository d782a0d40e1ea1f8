/**
 * `npm run bench`: starts Pebble (the real test CA) and runs the benchmark in a Node process that trusts it
 * (NODE_EXTRA_CA_CERTS is read only at start-up), then stops Pebble. Extra arguments go to the benchmark.
 */
import { spawn } from 'node:child_process';
import { ensurePebbleInstalled, startPebble } from '../sandbox/pebble.js';

await ensurePebbleInstalled();
const pebble = await startPebble();
try {
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('rotation-vs-acme.ts', import.meta.url).pathname, ...process.argv.slice(2)],
      {
        stdio: 'inherit',
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: pebble.tlsCaPath,
          BENCH_ACME_DIRECTORY: pebble.directoryUrl,
          BENCH_CHALLTESTSRV: pebble.challtestsrvUrl,
          BENCH_DNS_SERVER: pebble.dnsServer,
        },
      },
    );
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  process.exitCode = code;
} finally {
  await pebble.stop();
}
