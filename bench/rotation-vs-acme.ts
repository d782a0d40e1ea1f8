/**
 * `npm run bench`: what the rotator costs on top of the ACME issuance itself.
 *
 * Side by side, in one process, against one Pebble: (a) the full rotation of N certificates (gather from the SLB
 * emulator, decide, order through Alidns + propagation check, local checks, upload, compare, move and read back the
 * listener) with the real pop-core and acme-client, and (b) a bare acme-client `auto()` issuance of the same names and
 * key type with TXT records written straight into challtestsrv. Rounds alternate (a, b, a, b, …) so drift on a busy
 * machine hits both; the medians and their ratio are printed for N = 1 and N = 20, with peak RSS.
 *
 * Started by bench/run.ts (`npm run bench [-- --rounds 5]`), which provides Pebble and trust in it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type AcmeTestCa, type SandboxWorld, sandboxConfigYaml, seedListener, startWorld } from '../sandbox/world.js';
import { parseConfig } from '../shared/config/load-config.js';
import { silentLogger } from '../shared/log/logger.js';
import { memorySink } from '../shared/log/outcome-sink.js';
import { runRotation } from '../shared/rotation/run-rotation.js';
import { credentialsFromFcContext } from '../shared/runtime/credentials.js';
import { wireRotation } from '../shared/runtime/wire.js';

const REGION = 'cn-hangzhou';
const ZONE = 'bench.test';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Math.max(1, Number(values.rounds));

async function rotatorRound(world: SandboxWorld, n: number, round: number): Promise<number> {
  const certs = [];
  for (let i = 0; i < n; i++) {
    const domains = [`r${round}-c${i}.${ZONE}`];
    const seeded = await seedListener(world, { regionId: REGION, domains, days: 3 });
    certs.push({
      name: `r${round}c${i}`,
      domains,
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    });
  }
  const config = await parseConfig(sandboxConfigYaml(world.ca, certs, { certificateQuota: 100_000 }), 'bench.yaml', {});
  const deps = wireRotation({
    config,
    env: world.endpointEnv,
    credentials: credentialsFromFcContext(world.emulator.issueStsCredentials()),
    logger: silentLogger,
    sink: memorySink(),
  });
  const started = performance.now();
  const { records } = await runRotation(config, { trigger: 'bench' }, deps);
  const elapsed = performance.now() - started;
  const bad = records.filter((r) => r.outcome !== 'rotated');
  if (bad.length > 0)
    throw new Error(`rotation round failed: ${bad.map((r) => `${r.certificate} ${r.outcome} ${r.reason}`).join('; ')}`);
  return elapsed;
}

async function bareRound(world: SandboxWorld, n: number, round: number): Promise<number> {
  const acme = await import('acme-client');
  const setTxt = (path: string, body: object) =>
    fetch(`${world.ca.challtestsrvUrl}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => {
      if (!r.ok) throw new Error(`challtestsrv ${path}: ${r.status}`);
    });
  const started = performance.now();
  const accountKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  });
  const client = new acme.Client({
    directoryUrl: world.ca.directoryUrl,
    accountKey,
    backoffMin: 100,
    backoffMax: 1000,
  });
  for (let i = 0; i < n; i++) {
    const name = `b${round}-c${i}.${ZONE}`;
    const [, csr] = await acme.crypto.createCsr(
      { commonName: name, altNames: [name] },
      await acme.crypto.createPrivateRsaKey(2048),
    );
    await client.auto({
      csr,
      email: 'ops@example.com',
      termsOfServiceAgreed: true,
      challengePriority: ['dns-01'],
      skipChallengeVerification: true,
      challengeCreateFn: (authz, _c, keyAuthorization) =>
        setTxt('/set-txt', { host: `_acme-challenge.${authz.identifier.value}.`, value: keyAuthorization }),
      challengeRemoveFn: (authz) => setTxt('/clear-txt', { host: `_acme-challenge.${authz.identifier.value}.` }),
    });
  }
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function caFromEnvironment(): AcmeTestCa {
  const { BENCH_ACME_DIRECTORY, BENCH_CHALLTESTSRV, BENCH_DNS_SERVER } = process.env;
  if (!BENCH_ACME_DIRECTORY || !BENCH_CHALLTESTSRV || !BENCH_DNS_SERVER) {
    throw new Error(
      'run the benchmark with `npm run bench`: it starts Pebble and sets BENCH_* and NODE_EXTRA_CA_CERTS',
    );
  }
  return { directoryUrl: BENCH_ACME_DIRECTORY, challtestsrvUrl: BENCH_CHALLTESTSRV, dnsServer: BENCH_DNS_SERVER };
}

async function main() {
  const ca = caFromEnvironment();
  const world = await startWorld(ca, [ZONE]);
  // Each round seeds and rotates fresh certificates in one region: lift the 100-per-region quota for the benchmark
  // (in the emulator here, and in the rotator's configuration in rotatorRound).
  world.emulator.slb.setCertificateQuota(REGION, 100_000);
  try {
    process.stdout.write(
      `bench: ${rounds} alternating round(s) per size after one warm-up, Pebble ${ca.directoryUrl}\n`,
    );
    for (const n of [1, 20]) {
      const rot: number[] = [];
      const bare: number[] = [];
      for (let round = 0; round < rounds + 1; round++) {
        const a = await rotatorRound(world, n, round * 100 + n);
        const b = await bareRound(world, n, round * 100 + n);
        // The first round warms both paths (module loading, TLS sessions) and is not counted.
        if (round > 0) {
          rot.push(a);
          bare.push(b);
        }
      }
      const mr = median(rot);
      const mb = median(bare);
      process.stdout.write(
        `N=${String(n).padStart(2)}  rotator ${mr.toFixed(0).padStart(6)} ms   bare acme-client ${mb.toFixed(0).padStart(6)} ms   ratio ${(mr / mb).toFixed(2)}\n`,
      );
    }
    process.stdout.write(
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (both paths in one process)\n`,
    );
  } finally {
    await world.close();
  }
}

await main();
