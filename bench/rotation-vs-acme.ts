/**
 * What the rotator costs on top of the ACME issuance itself. Side by side, in one process, against one Pebble:
 * (a) the full rotation of N certificates through the composition root (gather from the SLB emulator, decide, order
 * through Alidns + propagation check, local checks, upload, compare, move and read back the listener, wire check) with
 * the real pop-core and acme-client, and (b) a bare acme-client `auto()` issuance of the same kind of names and key
 * type (RSA-2048) with TXT records written straight into challtestsrv. Both use one certificate key made before the
 * rounds. Rounds alternate (a, b, a, b, …) so drift on a busy machine hits both; medians and their ratio are printed.
 *
 * `npm run bench -- rotation-vs-acme [--size 1] [--rounds 5] [--no-warmup]`
 */
import { generateKeyPairSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sandboxConfigYaml, seedListener, startWorld } from '../sandbox/world.js';
import type { SandboxWorld } from '../sandbox/world.js';
import { parseConfig } from '../shared/config/load-config.js';
import { silentLogger } from '../shared/log/logger.js';
import { memorySink } from '../shared/log/outcome-sink.js';
import { composeRotator } from '../shared/runtime/compose.js';
import { credentialsFromFcContext } from '../shared/runtime/credentials.js';
import { BENCH_ZONE } from './lib/bench-world.js';
import { type Benchmark, positiveInt } from './lib/context.js';
import { median, ms, ratioLine } from './lib/report.js';

const REGION = 'cn-hangzhou';
/** The rotator's acme-client polling (shared/adapters/acme/acme-certificate-authority.ts), so both paths poll alike. */
const BACKOFF = { backoffAttempts: 12, backoffMin: 1_000, backoffMax: 10_000 };

async function rotatorRound(world: SandboxWorld, n: number, round: number, keyPem: string): Promise<number> {
  const certs = [];
  for (let i = 0; i < n; i++) {
    const domains = [`r${round}-c${i}.${BENCH_ZONE}`];
    const seeded = await seedListener(world, { regionId: REGION, domains, days: 3 });
    certs.push({
      name: `r${round}c${i}`,
      domains,
      region: REGION,
      listeners: [{ loadBalancerId: seeded.loadBalancerId, port: 443 }],
    });
  }
  const config = await parseConfig(sandboxConfigYaml(world.ca, certs, { certificateQuota: 100_000 }), 'bench.yaml', {});
  const started = performance.now();
  // No alerts, heartbeat or watch list are configured, so the run's after-steps send nothing.
  const rotator = composeRotator({
    config,
    env: world.endpointEnv,
    credentials: credentialsFromFcContext(world.emulator.issueStsCredentials()),
    logger: silentLogger,
    sink: memorySink(),
    certificateKeys: async () => keyPem,
  });
  const { records } = await rotator.run({ trigger: 'bench' });
  const elapsed = performance.now() - started;
  const bad = records.filter((r) => r.outcome !== 'rotated');
  if (bad.length > 0)
    throw new Error(`rotation round failed: ${bad.map((r) => `${r.certificate} ${r.outcome} ${r.reason}`).join('; ')}`);
  return elapsed;
}

async function bareRound(world: SandboxWorld, n: number, round: number, keyPem: string): Promise<number> {
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
  const client = new acme.Client({ directoryUrl: world.ca.directoryUrl, accountKey, ...BACKOFF });
  for (let i = 0; i < n; i++) {
    const name = `b${round}-c${i}.${BENCH_ZONE}`;
    const [, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, keyPem);
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

export const rotationVsAcme: Benchmark = async (args, { ca, write }) => {
  const { values } = parseArgs({
    args,
    options: { size: { type: 'string' }, rounds: { type: 'string' }, 'no-warmup': { type: 'boolean' } },
  });
  const size = positiveInt('size', values.size, 1);
  const rounds = positiveInt('rounds', values.rounds, 5);
  const warmups = values['no-warmup'] ? 0 : 1;
  const world = await startWorld(ca, [BENCH_ZONE]);
  // Each round seeds and rotates fresh certificates in one region: lift the 100-per-region quota for the benchmark
  // (in the emulator here, and in the rotator's configuration in rotatorRound).
  world.emulator.slb.setCertificateQuota(REGION, 100_000);
  try {
    const rot: number[] = [];
    const bare: number[] = [];
    // One certificate key for every round of both paths. A new RSA-2048 key costs both the same CPU, but at random
    // (0.5 to 5 s on the 2-core machine the figures come from), which buried the difference measured here.
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    // PKCS#1 as the rotator's own generator makes it; PKCS#8 for acme-client's CSR (WebCrypto imports only that).
    const rotatorKey = key.export({ type: 'pkcs1', format: 'pem' }) as string;
    const bareKey = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    for (let round = 0; round < rounds + warmups; round++) {
      const a = await rotatorRound(world, size, round, rotatorKey);
      const b = await bareRound(world, size, round, bareKey);
      // The first round warms both paths (module loading, TLS sessions) and is not counted.
      if (round >= warmups) {
        rot.push(a);
        bare.push(b);
      }
    }
    const mr = median(rot);
    const mb = median(bare);
    write(
      `rotation-vs-acme: ${size} certificate(s), ${rounds} alternating round(s) after ${warmups} warm-up: rotator ${ms(mr)}, bare acme-client ${ms(mb)} (medians)`,
    );
    write(ratioLine('rotation-vs-acme', mr / mb, { op: '≤', value: 1.3 }, 'rotator ÷ bare acme-client'));
  } finally {
    await world.close();
  }
};
