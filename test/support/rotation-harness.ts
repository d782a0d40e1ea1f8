import {
  type AcmeTestCa,
  type SandboxCertificate,
  type SandboxSlbSettings,
  type SandboxWorld,
  sandboxConfigYaml,
  startWorld,
} from '../../sandbox/world.js';
import { parseConfig } from '../../shared/config/load-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { memorySink } from '../../shared/log/outcome-sink.js';
import type { OutcomeRecord, SummaryRecord } from '../../shared/rotation/outcome.js';
import type { RunPlan } from '../../shared/plan/types.js';
import { planRun, type RunRequest, runRotation } from '../../shared/rotation/run-rotation.js';
import { credentialsFromFcContext } from '../../shared/runtime/credentials.js';
import { wireRotation } from '../../shared/runtime/wire.js';
import { DEFAULT_LEASE_SECONDS, LEASE_LABEL } from '../../shared/lease/lease-records.js';
import { pebbleEnv } from './env.js';
import { pooledCertificateKey } from './key-pool.js';

export interface HarnessRun {
  records: OutcomeRecord[];
  summary: SummaryRecord;
  /** Everything the logger wrote, as text: what would reach Log Service. */
  logs: string;
}

export interface RunOptions {
  request?: Partial<RunRequest>;
  /** Another CA than the shared Pebble (a second Pebble, an ARI front). */
  ca?: AcmeTestCa;
  slb?: SandboxSlbSettings;
  /** A stored ACME account key (else each run uses a new account). */
  accountKeyPem?: string;
}

export interface RotationHarness {
  world: SandboxWorld;
  ca: AcmeTestCa;
  /** Runs the real use case with the real adapters (pop-core against the emulator, acme-client against Pebble). */
  run(certificates: SandboxCertificate[], options?: RunOptions): Promise<HarnessRun>;
  /** The plan a run with the same configuration would follow now (reads only). */
  plan(certificates: SandboxCertificate[], options?: RunOptions): Promise<RunPlan>;
  /** Credentials the runs use, to check that none of them leaks. */
  secrets(): string[];
  /** Environment for a separate process (the CLI): the emulator's endpoints and a new long-term key. */
  cliEnv(): Record<string, string>;
  /**
   * A killed run's leases have just expired: every record in Alidns (the leases and the challenge records the killed
   * run left) is dated back by the lease duration and a minute, as if that much time had passed. The challenge records
   * are then still younger than the hour after which any run removes them. Returns how many leases were found.
   */
  expireLeases(): number;
  close(): Promise<void>;
}

export async function startRotationHarness(zones: string[]): Promise<RotationHarness> {
  const env = pebbleEnv();
  const ca: AcmeTestCa = {
    directoryUrl: env.directoryUrl,
    challtestsrvUrl: env.challtestsrvUrl,
    dnsServer: env.dnsServer,
  };
  const world = await startWorld(ca, zones);
  const sts = world.emulator.issueStsCredentials();
  /** The real composition (pop-core against the emulator, acme-client against Pebble) for one configuration. */
  const compose = async (certificates: SandboxCertificate[], options: RunOptions) => {
    const key = 'ROTATOR_TEST_ACCOUNT_KEY';
    const config = await parseConfig(
      sandboxConfigYaml(
        options.ca ?? ca,
        certificates,
        options.slb,
        options.accountKeyPem ? { accountKeyEnv: key } : {},
      ),
      'test.yaml',
      options.accountKeyPem ? { [key]: options.accountKeyPem } : {},
    );
    let text = '';
    const logger = createLogger({
      fd: 2,
      level: 'debug',
      stream: {
        write(line) {
          text += line;
        },
      },
    });
    const deps = wireRotation({
      config,
      env: world.endpointEnv,
      credentials: credentialsFromFcContext(sts),
      logger,
      sink: memorySink(),
      certificateKeys: pooledCertificateKey,
    });
    return { config, deps, logs: () => text };
  };
  return {
    world,
    ca,
    async run(certificates, options = {}) {
      const { config, deps, logs } = await compose(certificates, options);
      const result = await runRotation(config, { trigger: 'test', ...options.request }, deps);
      return { ...result, logs: logs() };
    },
    async plan(certificates, options = {}) {
      const { config, deps } = await compose(certificates, options);
      return planRun(config, { ...options.request }, deps);
    },
    secrets: () => [sts.accessKeySecret, sts.securityToken, world.emulator.credentials.accessKeySecret],
    cliEnv() {
      const key = world.emulator.createAccessKey();
      return {
        ...world.endpointEnv,
        ALIBABA_CLOUD_ACCESS_KEY_ID: key.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: key.accessKeySecret,
      };
    },
    expireLeases() {
      const alidns = world.emulator.alidns;
      const all = alidns.zones().flatMap((zone) => alidns.records(zone));
      for (const r of all) alidns.backdateRecord(r.RecordId, DEFAULT_LEASE_SECONDS * 1000 + 60_000);
      return all.filter((r) => r.RR === LEASE_LABEL || r.RR.startsWith(`${LEASE_LABEL}.`)).length;
    },
    close: () => world.close(),
  };
}
