import type { KeyType } from '../ports/certificate-authority.js';
import type { AlertSettings, HeartbeatSettings } from '../notify/settings.js';
import type { WatchTarget } from '../watch/settings.js';

export interface RenewalPolicy {
  remainingFraction?: number;
  daysBeforeExpiry?: number;
  spread: number;
}

export interface ListenerTargetConfig {
  loadBalancerId: string;
  port: number;
}

export interface DomainExtensionTargetConfig extends ListenerTargetConfig {
  domain: string;
}

/** One managed certificate with every default applied. */
export interface ManagedCertificate {
  name: string;
  domains: string[];
  region: string;
  keyType: KeyType;
  renewal: RenewalPolicy;
  listeners: ListenerTargetConfig[];
  domainExtensions: DomainExtensionTargetConfig[];
  byReference: boolean;
  retain: number;
}

export interface AcmeSettings {
  directoryUrl: string;
  production: boolean;
  email: string | undefined;
  /** PEM, read from the secret reference at start-up. Never log. */
  accountKeyPem: string | undefined;
  externalAccountBinding: { kid: string; hmacKey: string } | undefined;
  /** New orders one run may place; absent: the default (DEFAULT_MAX_NEW_ORDERS_PER_RUN). */
  maxNewOrdersPerRun?: number | undefined;
}

export interface RotatorConfig {
  acme: AcmeSettings;
  dns: {
    propagationTimeoutSeconds: number;
    ttl: number;
    requestsPerSecond?: number | undefined;
    /** Absent: DEFAULT_LEASE_SECONDS (shared/lease/lease-records.ts). */
    leaseSeconds?: number | undefined;
  };
  slb: {
    certificateQuota: number;
    verifyOnWire: boolean;
    wireSettleSeconds: number;
    /** Absent: the defaults in shared/runtime/wire.ts. */
    requestsPerSecond?: number | undefined;
    configuringWaitSeconds?: number | undefined;
  };
  /** How a run schedules its certificates; absent: the defaults in shared/rotation/run-rotation.ts. */
  run?: { concurrency?: number | undefined };
  /** Absent in hand-built configurations: the defaults apply. */
  status?: { overdueAfterDays: number };
  certificates: ManagedCertificate[];
  /** Absent when the file has no `alerts` section: nothing is sent. */
  alerts?: AlertSettings;
  /** Absent when the file has no `heartbeat` section. */
  heartbeat?: HeartbeatSettings;
  /** Endpoints checked but not managed; empty (or absent in hand-built configs) when nothing is watched. */
  watch?: WatchTarget[];
}
