/**
 * Test entry point (`npx tsx test/run.ts [vitest args]`): one Pebble sandbox for the whole run, vitest in a child
 * process that trusts it, and one machine-readable last line `N passed, N failed[, N skipped]` for CI.
 *
 * NODE_EXTRA_CA_CERTS is read only when Node starts, which is why vitest runs as a child and not in-process.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePebbleInstalled, type PebbleSandbox, startPebble } from '../sandbox/pebble.js';
import { ENV_ACME_DIRECTORY, ENV_CHALLTESTSRV, ENV_DNS_SERVER, ENV_PEBBLE_TLS } from './support/env.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface JsonReport {
  success?: boolean;
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: { status?: string; assertionResults?: unknown[] }[];
}

async function main(): Promise<number> {
  const vitestEntry = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitestEntry)) {
    console.error(`vitest is not installed (${vitestEntry} missing): run \`npm ci\` first`);
    console.log('0 passed, 1 failed');
    return 1;
  }

  let sandbox: PebbleSandbox | undefined;
  const outDir = await mkdtemp(join(tmpdir(), 'rotator-test-'));
  const stopAll = async (): Promise<void> => {
    await sandbox?.stop();
    await rm(outDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  try {
    await ensurePebbleInstalled();
    const t0 = Date.now();
    sandbox = await startPebble();
    console.error(`pebble sandbox ready in ${Date.now() - t0} ms: ${sandbox.directoryUrl} (dns ${sandbox.dnsServer})`);

    const jsonPath = join(outDir, 'vitest.json');
    // Tests must leave no temporary files behind: they (and every process they start) get a TMPDIR of their own,
    // which must be empty when the run ends.
    const testTmp = join(outDir, 'tmp');
    await mkdir(testTmp);
    const args = [
      vitestEntry,
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${jsonPath}`,
      ...process.argv.slice(2),
    ];
    const code = await new Promise<number>((resolveExit) => {
      const child = spawn(process.execPath, args, {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          TMPDIR: testTmp,
          NODE_EXTRA_CA_CERTS: sandbox?.tlsCaPath,
          [ENV_ACME_DIRECTORY]: sandbox?.directoryUrl,
          [ENV_CHALLTESTSRV]: sandbox?.challtestsrvUrl,
          [ENV_DNS_SERVER]: sandbox?.dnsServer,
          [ENV_PEBBLE_TLS]: JSON.stringify(sandbox?.tls),
        },
      });
      child.on('error', (err) => {
        console.error(`could not start vitest: ${err.message}`);
        resolveExit(1);
      });
      child.on('exit', (exitCode, signal) => resolveExit(exitCode ?? (signal ? 1 : 0)));
    });

    let report: JsonReport | undefined;
    try {
      report = JSON.parse(await readFile(jsonPath, 'utf8')) as JsonReport;
    } catch {
      console.error(`vitest wrote no JSON report (exit code ${code})`);
    }
    const passed = report?.numPassedTests ?? 0;
    // A file that fails to load has no test results but must still count as a failure.
    const brokenFiles = (report?.testResults ?? []).filter(
      (r) => r.status === 'failed' && (r.assertionResults?.length ?? 0) === 0,
    ).length;
    let failed = (report?.numFailedTests ?? 0) + brokenFiles;
    if (failed === 0 && (code !== 0 || report === undefined)) failed = 1;
    const skipped = (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0);
    // tsx keeps its compile cache in TMPDIR (`tsx-<uid>`): a tool's cache, not a file a test forgot.
    const leftovers = (await readdir(testTmp).catch(() => [] as string[])).filter((f) => !/^tsx-\d+$/.test(f));
    if (leftovers.length > 0) {
      console.error(
        `the tests left ${leftovers.length} temporary file(s) behind: ${leftovers.slice(0, 10).join(', ')}${leftovers.length > 10 ? ', …' : ''}`,
      );
      failed += 1;
    }

    await stopAll();
    console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
    return failed > 0 || code !== 0 ? 1 : 0;
  } catch (err) {
    await stopAll().catch(() => {});
    console.error(err instanceof Error ? err.message : String(err));
    console.log('0 passed, 1 failed');
    return 1;
  }
}

process.exitCode = await main();
