import { AlidnsLeaseRecords } from '../adapters/aliyun/alidns-lease.js';
import { AlidnsProvider } from '../adapters/aliyun/alidns-provider.js';
import { AliyunRpcClient } from '../adapters/aliyun/rpc-client.js';
import { SlbLoadBalancer } from '../adapters/aliyun/slb-load-balancer.js';
import { AcmeRenewalInfo } from '../adapters/acme/renewal-info.js';
import { TlsWireProbe } from '../adapters/tls/tls-wire-probe.js';
import type { RotatorConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { OutcomeSink } from '../log/outcome-sink.js';
import { DEFAULT_LEASE_SECONDS } from '../lease/lease-records.js';
import { RecordLeaseStore } from '../lease/record-lease-store.js';
import type { CertificateAuthority, KeyType } from '../ports/certificate-authority.js';
import type { RunDependencies } from '../rotation/run-rotation.js';
import { PacerPerApi } from '../util/pacer.js';
import type { CredentialsProvider } from './credentials.js';
import { serviceSettingsFromEnvironment } from './settings-from-env.js';

export interface WireOptions {
  config: RotatorConfig;
  env: Readonly<Record<string, string | undefined>>;
  credentials: CredentialsProvider;
  logger: Logger;
  sink: OutcomeSink;
  clock?: () => Date;
  /** How each certificate's key is made; a new RSA key per order when absent (see AcmeCertificateAuthority). */
  certificateKeys?: ((keyType: KeyType) => Promise<string>) | undefined;
}

/**
 * Requests per second of each API of a product (at most this many in any one second) when the configuration sets none.
 * - Alidns publishes its quotas per API and account ("API rate quota", alidns 2015-01-09, in Quota Center): 60/s for
 *   AddDomainRecord and DeleteDomainRecord, 300/s for DescribeSubDomainRecords, 100/s for DescribeDomainRecords.
 *   30 is half of the lowest of the calls made here, leaving the other half to whatever else the account runs.
 * - SLB publishes no API rate quota (its quota page lists resource quotas only; UNCONFIRMED): 10 stays well below what
 *   accounts commonly see. `Throttling` is backed off either way, when an account's limit is lower.
 */
export const DEFAULT_SLB_REQUESTS_PER_SECOND = 10;
export const DEFAULT_ALIDNS_REQUESTS_PER_SECOND = 30;

/** The composition root: real adapters for the real cloud (or anything that speaks its protocol, via endpoints). */
export function wireRotation(options: WireOptions): RunDependencies {
  const { config, env, credentials, logger } = options;
  // Parsed now, in one place, so a malformed variable fails the run before anything is ordered.
  const { endpoints, dnsServers } = serviceSettingsFromEnvironment(env);
  // One pacer per product and API for every region and certificate of the run: the providers limit the account's
  // calls of each API, not one connection's.
  const slbPacer = new PacerPerApi(config.slb.requestsPerSecond ?? DEFAULT_SLB_REQUESTS_PER_SECOND);
  // One Alidns client for the leases and the challenge records: one connection pool, one pacer.
  const alidns = new AliyunRpcClient({
    endpoint: endpoints.alidns,
    apiVersion: '2015-01-09',
    credentials,
    pacer: new PacerPerApi(config.dns.requestsPerSecond ?? DEFAULT_ALIDNS_REQUESTS_PER_SECOND),
  });
  // One provider for the leases and the challenge records: the account's zones are listed once per run.
  const dns = new AlidnsProvider(alidns, config.dns.ttl);
  // Absent: the client's own default (DEFAULT_CONFIGURING_WAIT_MS).
  const configuringWaitSeconds = config.slb.configuringWaitSeconds;
  return {
    // A lease per certificate, as TXT records in the certificate's own Alidns zone (alidns-lease.ts says why).
    leases: new RecordLeaseStore(
      new AlidnsLeaseRecords(alidns, dns, config.dns.ttl),
      (config.dns.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1000,
    ),
    loadBalancer: (regionId) =>
      new SlbLoadBalancer(
        regionId,
        new AliyunRpcClient({
          endpoint: endpoints.slb(regionId),
          apiVersion: '2014-05-15',
          credentials,
          pacer: slbPacer,
          ...(configuringWaitSeconds !== undefined ? { configuringWaitMs: configuringWaitSeconds * 1000 } : {}),
        }),
      ),
    certificateAuthority: async (): Promise<CertificateAuthority> => {
      const [{ AcmeCertificateAuthority }, { AuthoritativePropagationChecker }] = await Promise.all([
        import('../adapters/acme/acme-certificate-authority.js'),
        import('../adapters/dns/authoritative-propagation.js'),
      ]);
      if (!config.acme.accountKeyPem) {
        logger.warn(
          { directory: config.acme.directoryUrl },
          'no stored ACME account key: using a new account for this run (fine for a test CA only)',
        );
      }
      return new AcmeCertificateAuthority({
        directoryUrl: config.acme.directoryUrl,
        accountKeyPem: config.acme.accountKeyPem,
        email: config.acme.email,
        externalAccountBinding: config.acme.externalAccountBinding,
        dns,
        propagation: new AuthoritativePropagationChecker({
          servers: dnsServers,
          timeoutMs: config.dns.propagationTimeoutSeconds * 1000,
        }),
        logger,
        certificateKeys: options.certificateKeys,
      });
    },
    renewalInfo: new AcmeRenewalInfo({ directoryUrl: config.acme.directoryUrl, logger }),
    wireProbe: new TlsWireProbe(),
    sink: options.sink,
    clock: options.clock ?? (() => new Date()),
    logger,
  };
}
