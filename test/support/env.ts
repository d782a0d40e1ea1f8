/**
 * The Pebble sandbox that `test/run.ts` starts once per test run, seen from inside a test. Tests that need it call
 * `pebbleEnv()`; running them without the runner fails with instructions instead of a connection error.
 */
export const ENV_ACME_DIRECTORY = 'ROTATOR_TEST_ACME_DIRECTORY';
export const ENV_CHALLTESTSRV = 'ROTATOR_TEST_CHALLTESTSRV';
export const ENV_DNS_SERVER = 'ROTATOR_TEST_DNS_SERVER';
/** JSON `{caPath, certPath, keyPath}` of the shared Pebble's HTTPS files, for tests that start a second Pebble. */
export const ENV_PEBBLE_TLS = 'ROTATOR_TEST_PEBBLE_TLS';

export interface PebbleTestEnv {
  /** ACME directory URL of the shared Pebble. */
  directoryUrl: string;
  /** challtestsrv management API (http). */
  challtestsrvUrl: string;
  /** challtestsrv DNS, `127.0.0.1:PORT`. */
  dnsServer: string;
}

export function hasPebbleEnv(): boolean {
  return Boolean(process.env[ENV_ACME_DIRECTORY] && process.env[ENV_CHALLTESTSRV] && process.env[ENV_DNS_SERVER]);
}

export function pebbleEnv(): PebbleTestEnv {
  const missing = [ENV_ACME_DIRECTORY, ENV_CHALLTESTSRV, ENV_DNS_SERVER].filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `this test needs the Pebble sandbox, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. ` +
        'Run the tests through the runner: `npx tsx test/run.ts [vitest args]` (or `npm test`). ' +
        'It starts Pebble and sets these variables and NODE_EXTRA_CA_CERTS.',
    );
  }
  if (!process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error(
      'NODE_EXTRA_CA_CERTS is not set, so Pebble’s HTTPS certificate will not be trusted. Run the tests through `npx tsx test/run.ts`.',
    );
  }
  return {
    directoryUrl: process.env[ENV_ACME_DIRECTORY] as string,
    challtestsrvUrl: process.env[ENV_CHALLTESTSRV] as string,
    dnsServer: process.env[ENV_DNS_SERVER] as string,
  };
}

/** TLS files of the shared Pebble: pass as `startPebble({ tls })` so a second instance is trusted too. */
export function pebbleTlsFiles(): { caPath: string; certPath: string; keyPath: string } {
  pebbleEnv();
  const raw = process.env[ENV_PEBBLE_TLS];
  if (!raw) throw new Error(`${ENV_PEBBLE_TLS} is not set: run the tests through \`npx tsx test/run.ts\``);
  return JSON.parse(raw) as { caPath: string; certPath: string; keyPath: string };
}
