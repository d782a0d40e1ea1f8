import { randomBytes, randomInt } from 'node:crypto';
import { RENAME_NAME_RE, UPLOAD_NAME_RE, validateCertificateUpload } from './certificates.js';
import { ApiError, DEFAULT_MESSAGES, invalidParameter, missingParameter } from './errors.js';
import {
  optional,
  optionalEnum,
  optionalInt,
  type Params,
  parseIntParam,
  parseTags,
  required,
  requiredInt,
} from './params.js';
import type { ProductHandler } from './rpc-server.js';
import { formatTimestamp } from './signature.js';
import type { TlsBinding, TlsEndpoint, TlsListeners, TlsMaterial, UnreachableMode } from './tls-listeners.js';

export const SLB_VERSION = '2014-05-15';
/** Account id used as the ServerCertificateId prefix, like the doc example `1231579…`. */
export const ACCOUNT_ID = '1231579085529123';
export const DEFAULT_CERTIFICATE_QUOTA = 100;
/** Additional (SNI) domains per HTTPS listener: 3 by default, raisable to 10 [QUOTA]. */
export const DEFAULT_DOMAIN_EXTENSION_LIMIT = 3;
export const MAX_DOMAIN_EXTENSION_LIMIT = 10;

/**
 * CLB regions. An unknown RegionId is an error so a typo in the rotator's configuration shows up here rather than
 * in production; the error code `InvalidRegionId` is UNCONFIRMED.
 */
export const SLB_REGIONS: ReadonlySet<string> = new Set([
  'cn-qingdao',
  'cn-beijing',
  'cn-zhangjiakou',
  'cn-huhehaote',
  'cn-wulanchabu',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-nanjing',
  'cn-fuzhou',
  'cn-shenzhen',
  'cn-heyuan',
  'cn-guangzhou',
  'cn-chengdu',
  'cn-hongkong',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ap-south-1',
  'us-east-1',
  'us-west-1',
  'eu-west-1',
  'eu-central-1',
  'me-east-1',
  'me-central-1',
  'cn-hangzhou-finance',
  'cn-shanghai-finance-1',
  'cn-shenzhen-finance-1',
  'cn-beijing-finance-1',
  'cn-north-2-gov-1',
]);

const TLS_CIPHER_POLICIES = [
  'tls_cipher_policy_1_0',
  'tls_cipher_policy_1_1',
  'tls_cipher_policy_1_2',
  'tls_cipher_policy_1_2_strict',
  'tls_cipher_policy_1_2_strict_with_1_3',
] as const;

/** A server certificate as DescribeServerCertificates reports it (one `ServerCertificate` item). */
export interface ServerCertificateItem {
  ServerCertificateId: string;
  ServerCertificateName: string;
  Fingerprint: string;
  CommonName: string;
  SubjectAlternativeNames: { SubjectAlternativeName: string[] };
  ExpireTime: string;
  ExpireTimeStamp: number;
  CreateTime: string;
  CreateTimeStamp: number;
  IsAliCloudCertificate: number;
  AliCloudCertificateId: string;
  AliCloudCertificateName: string;
  RegionId: string;
  RegionIdAlias: string;
  ResourceGroupId: string;
  Tags: { Tag: Array<{ TagKey: string; TagValue: string }> };
}

export interface DomainExtensionInfo {
  domainExtensionId: string;
  domain: string;
  serverCertificateId: string;
}

/** What a listener is bound to: its default certificate and its SNI domain extensions. */
export interface ListenerBinding {
  serverCertificateId: string;
  domainExtensions: DomainExtensionInfo[];
}

interface StoredCertificate {
  id: string;
  name: string;
  regionId: string;
  resourceGroupId: string;
  chainPem: string;
  privateKeyPem: string;
  fingerprint: string;
  commonName: string;
  subjectAlternativeNames: string[];
  expireTimeStamp: number;
  createTimeStamp: number;
  tags: Map<string, string>;
}

interface HttpsListener {
  loadBalancerId: string;
  port: number;
  serverCertificateId: string;
  status: 'running' | 'stopped';
  backendServerPort: number;
  bandwidth: number;
  scheduler: string;
  stickySession: 'on' | 'off';
  stickySessionType: 'insert' | 'server' | undefined;
  cookieTimeout: number | undefined;
  cookie: string | undefined;
  healthCheck: 'on' | 'off';
  tlsCipherPolicy: string;
  enableHttp2: 'on' | 'off';
  xForwardedFor: 'on' | 'off';
  gzip: 'on' | 'off';
  idleTimeout: number;
  requestTimeout: number;
  description: string;
  domainExtensions: Map<string, { id: string; domain: string; serverCertificateId: string }>;
}

interface LoadBalancer {
  id: string;
  name: string;
  regionId: string;
  address: string;
  createTimeStamp: number;
  listeners: Map<number, HttpsListener>;
  /** Set by the unreachable fault; listeners added meanwhile start off the wire too. */
  unreachable: UnreachableMode | undefined;
}

interface Region {
  id: string;
  quota: number;
  certificates: Map<string, StoredCertificate>;
  loadBalancers: Map<string, LoadBalancer>;
}

export interface SlbOptions {
  clock: () => number;
  certificateQuota: number;
  /** Absent: listeners exist only in the API, no TLS servers. */
  tls: TlsListeners | undefined;
  /**
   * After a listener or domain extension write, the load balancer answers further such writes with
   * `ServiceIsConfiguring` for this long, as real CLB does while it applies a change (seconds to tens of seconds
   * there). Default 0: no window.
   */
  configuringWindowMs?: number;
}

/**
 * Loopback address counter shared by every emulator in the process, so two emulators in one test file do not put
 * their load balancers on the same address. Listeners bind their real port (443 usually), so the block is also
 * picked at random per process: test files run in parallel processes, and a clash there would move a listener off
 * `<Address>:<ListenerPort>`.
 */
let nextAddress = 0;
const ADDRESS_BLOCK = randomInt(1, 255);

function randomId(prefix: string, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (const b of randomBytes(length)) out += alphabet[b % alphabet.length];
  return `${prefix}${out}`;
}

function tlsKey(regionId: string, lbId: string, port: number): string {
  return `${regionId}/${lbId}/${port}`;
}

function validDomain(domain: string): boolean {
  return /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain) && domain.length <= 253;
}

/** Server Load Balancer (CLB) 2014-05-15: certificates, load balancers, HTTPS listeners and SNI extensions. */
export class Slb implements ProductHandler {
  readonly product = 'slb' as const;
  readonly hostId = 'slb.aliyuncs.com';
  readonly actions: ReadonlySet<string> = new Set([
    'UploadServerCertificate',
    'DescribeServerCertificates',
    'DeleteServerCertificate',
    'SetServerCertificateName',
    'DescribeLoadBalancers',
    'DescribeLoadBalancerListeners',
    'DescribeLoadBalancerHTTPSListenerAttribute',
    'SetLoadBalancerHTTPSListenerAttribute',
    'DescribeDomainExtensions',
    'SetDomainExtensionAttribute',
    'CreateDomainExtension',
    'DeleteDomainExtension',
  ]);

  private readonly regions = new Map<string, Region>();
  private readonly quotas = new Map<string, number>();
  private domainExtensionLimit = DEFAULT_DOMAIN_EXTENSION_LIMIT;
  private idCounter = 0;
  /** Set by the `allowDeletingReferencedCertificates` fault. */
  private deleteReferencedAllowed = false;
  /** Certificates deleted while still bound (only under that fault): what their listeners keep serving. */
  private readonly orphans = new Map<string, StoredCertificate>();
  /** Per load balancer id: until when (emulator clock) it is still applying its last listener change. */
  private readonly configuringUntil = new Map<string, number>();

  constructor(private readonly options: SlbOptions) {}

  // ------------------------------------------------------------------ wire actions

  handle(action: string, params: Params): Promise<Record<string, unknown>> | Record<string, unknown> {
    switch (action) {
      case 'UploadServerCertificate':
        return this.uploadServerCertificate(params);
      case 'DescribeServerCertificates':
        return this.describeServerCertificates(params);
      case 'DeleteServerCertificate':
        return this.deleteServerCertificate(params);
      case 'SetServerCertificateName':
        return this.setServerCertificateName(params);
      case 'DescribeLoadBalancers':
        return this.describeLoadBalancers(params);
      case 'DescribeLoadBalancerListeners':
        return this.describeLoadBalancerListeners(params);
      case 'DescribeLoadBalancerHTTPSListenerAttribute':
        return this.describeHttpsListenerAttribute(params);
      case 'SetLoadBalancerHTTPSListenerAttribute':
        return this.setHttpsListenerAttribute(params);
      case 'DescribeDomainExtensions':
        return this.describeDomainExtensions(params);
      case 'SetDomainExtensionAttribute':
        return this.setDomainExtensionAttribute(params);
      case 'CreateDomainExtension':
        return this.createDomainExtensionAction(params);
      case 'DeleteDomainExtension':
        return this.deleteDomainExtension(params);
      default:
        throw new ApiError(
          'InvalidAction.NotFound',
          'Specified api is not found, please check your url and method.',
          404,
        );
    }
  }

  private uploadServerCertificate(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    if (optional(params, 'AliCloudCertificateId') !== undefined) {
      throw new ApiError(
        'InvalidParameter',
        'The emulator does not support certificates from Certificate Management Service (AliCloudCertificateId).',
      );
    }
    if (params.ServerCertificate === undefined) throw missingParameter('ServerCertificate');
    if (params.PrivateKey === undefined) throw missingParameter('PrivateKey');
    const cert = this.addCertificate(region, {
      certificatePem: params.ServerCertificate,
      privateKeyPem: params.PrivateKey,
      name: optional(params, 'ServerCertificateName'),
      tags: parseTags(params),
      resourceGroupId: optional(params, 'ResourceGroupId'),
    });
    // The Upload response has the describe fields except Tags [GOSLB upload_server_certificate_response_body].
    const { Tags: _tags, RegionIdAlias: _alias, ...item } = this.item(cert);
    return item;
  }

  private describeServerCertificates(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const id = optional(params, 'ServerCertificateId');
    const rg = optional(params, 'ResourceGroupId');
    const tagFilters = parseTags(params);
    const items = [...region.certificates.values()]
      .filter((c) => id === undefined || id.split(',').includes(c.id))
      .filter((c) => rg === undefined || c.resourceGroupId === rg)
      .filter((c) => tagFilters.every((t) => c.tags.get(t.key) === t.value || (t.value === '' && c.tags.has(t.key))))
      .map((c) => this.item(c));
    // An empty list keeps the wrapper; the real shape for "no certificates" is UNCONFIRMED.
    return { ServerCertificates: { ServerCertificate: items } };
  }

  private deleteServerCertificate(params: Params): Record<string, unknown> {
    const id = required(params, 'ServerCertificateId');
    const { region, cert } = this.findCertificate(optional(params, 'RegionId'), id);
    const users = this.usersOf(region, cert.id);
    if (users.length > 0) {
      if (!this.deleteReferencedAllowed) {
        throw new ApiError(
          'CertificateAndPrivateKeyIsRefered',
          `The certificate and private key are referred by a listener (${users.join(', ')}).`,
        );
      }
      // The listeners keep their (now dangling) id and their TLS servers keep the key pair they were given.
      this.orphans.set(cert.id, cert);
    }
    region.certificates.delete(cert.id);
    return {};
  }

  private setServerCertificateName(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const id = required(params, 'ServerCertificateId');
    const name = required(params, 'ServerCertificateName');
    if (!RENAME_NAME_RE.test(name)) throw invalidParameter('ServerCertificateName');
    const { cert } = this.findCertificate(region.id, id);
    cert.name = name;
    return {};
  }

  private describeLoadBalancers(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const pageNumber = optionalInt(params, 'PageNumber', 1, 1_000_000) ?? 1;
    // Default page size 10 per the API doc of the time (UNCONFIRMED); 1–100.
    const pageSize = optionalInt(params, 'PageSize', 1, 100) ?? 10;
    const ids = optional(params, 'LoadBalancerId')
      ?.split(',')
      .map((s) => s.trim());
    if (ids && ids.length > 10) throw invalidParameter('LoadBalancerId', 'At most 10 LoadBalancerId values.');
    const name = optional(params, 'LoadBalancerName');
    const address = optional(params, 'Address');
    const all = [...region.loadBalancers.values()].filter(
      (lb) =>
        (ids === undefined || ids.includes(lb.id)) &&
        (name === undefined || lb.name === name) &&
        (address === undefined || lb.address === address),
    );
    const page = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return {
      TotalCount: all.length,
      PageNumber: pageNumber,
      PageSize: pageSize,
      LoadBalancers: {
        LoadBalancer: page.map((lb) => ({
          LoadBalancerId: lb.id,
          LoadBalancerName: lb.name,
          LoadBalancerStatus: 'active',
          Address: lb.address,
          AddressType: 'internet',
          AddressIPVersion: 'ipv4',
          NetworkType: 'classic',
          RegionId: lb.regionId,
          RegionIdAlias: lb.regionId,
          PayType: 'PayOnDemand',
          InternetChargeType: 'paybytraffic',
          InternetChargeTypeAlias: 'paybytraffic',
          // Minute precision as in the doc examples (`2021-09-07T11:22Z`); UNCONFIRMED.
          CreateTime: formatTimestamp(lb.createTimeStamp).replace(/:\d{2}Z$/, 'Z'),
          CreateTimeStamp: lb.createTimeStamp,
          ResourceGroupId: 'rg-acfmxazb4ph6aiy',
          DeleteProtection: 'off',
          Tags: { Tag: [] },
        })),
      },
    };
  }

  private describeLoadBalancerListeners(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const ids = Object.entries(params)
      .filter(([k]) => /^LoadBalancerId(\.\d+)?$/.test(k))
      .map(([, v]) => v);
    const protocol = optional(params, 'ListenerProtocol')?.toLowerCase();
    if (protocol !== undefined && !['http', 'https', 'tcp', 'udp'].includes(protocol)) {
      throw invalidParameter('ListenerProtocol');
    }
    const port = optionalInt(params, 'ListenerPort', 1, 65535);
    const maxResults = optionalInt(params, 'MaxResults', 1, 100) ?? 20;
    const token = optional(params, 'NextToken');
    let offset = 0;
    if (token !== undefined) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (!/^\d+$/.test(decoded)) throw invalidParameter('NextToken');
      offset = Number(decoded);
    }
    const all: HttpsListener[] = [];
    for (const lb of region.loadBalancers.values()) {
      if (ids.length > 0 && !ids.includes(lb.id)) continue;
      for (const l of [...lb.listeners.values()].sort((a, b) => a.port - b.port)) {
        // Only HTTPS listeners are modelled, so any other protocol filter finds nothing.
        if (protocol !== undefined && protocol !== 'https') continue;
        if (port !== undefined && l.port !== port) continue;
        all.push(l);
      }
    }
    const page = all.slice(offset, offset + maxResults);
    const next = offset + maxResults < all.length ? Buffer.from(String(offset + maxResults)).toString('base64url') : '';
    // Shape per alibabacloud-go/slb-20140515 DescribeLoadBalancerListenersResponseBody: `Listeners` is a plain array
    // (no POP wrapper) and the HTTPS certificate is `HTTPSListenerConfig.ServerCertificateId`.
    return {
      Listeners: page.map((l) => ({
        LoadBalancerId: l.loadBalancerId,
        ListenerPort: l.port,
        ListenerProtocol: 'https',
        Status: l.status,
        BackendServerPort: l.backendServerPort,
        Bandwidth: l.bandwidth,
        Scheduler: l.scheduler,
        Description: l.description,
        AclStatus: 'off',
        Tags: [],
        HTTPSListenerConfig: {
          ServerCertificateId: l.serverCertificateId,
          StickySession: l.stickySession,
          ...(l.stickySessionType ? { StickySessionType: l.stickySessionType } : {}),
          ...(l.cookieTimeout !== undefined ? { CookieTimeout: l.cookieTimeout } : {}),
          ...(l.cookie !== undefined ? { Cookie: l.cookie } : {}),
          HealthCheck: l.healthCheck,
          TLSCipherPolicy: l.tlsCipherPolicy,
          EnableHttp2: l.enableHttp2,
          Gzip: l.gzip,
          XForwardedFor: l.xForwardedFor,
          IdleTimeout: l.idleTimeout,
          RequestTimeout: l.requestTimeout,
        },
      })),
      MaxResults: maxResults,
      NextToken: next,
      TotalCount: all.length,
    };
  }

  private describeHttpsListenerAttribute(params: Params): Record<string, unknown> {
    const listener = this.listenerFromParams(params);
    const l = listener;
    return {
      ListenerPort: l.port,
      BackendServerPort: l.backendServerPort,
      Bandwidth: l.bandwidth,
      Status: l.status,
      Scheduler: l.scheduler,
      XForwardedFor: l.xForwardedFor,
      StickySession: l.stickySession,
      ...(l.stickySessionType ? { StickySessionType: l.stickySessionType } : {}),
      ...(l.cookieTimeout !== undefined ? { CookieTimeout: l.cookieTimeout } : {}),
      ...(l.cookie !== undefined ? { Cookie: l.cookie } : {}),
      HealthCheck: l.healthCheck,
      HealthCheckURI: '/',
      HealthCheckConnectPort: l.backendServerPort,
      HealthyThreshold: 3,
      UnhealthyThreshold: 3,
      HealthCheckTimeout: 5,
      HealthCheckInterval: 2,
      HealthCheckHttpCode: 'http_2xx',
      ServerCertificateId: l.serverCertificateId,
      TLSCipherPolicy: l.tlsCipherPolicy,
      EnableHttp2: l.enableHttp2,
      Gzip: l.gzip,
      IdleTimeout: l.idleTimeout,
      RequestTimeout: l.requestTimeout,
      Description: l.description,
      AclStatus: 'off',
      DomainExtensions: { DomainExtension: this.extensionItems(l) },
    };
  }

  private setHttpsListenerAttribute(params: Params): Record<string, unknown> {
    const regionId = optional(params, 'RegionId');
    const l = this.listenerFromParams(params);
    const region = this.region(this.loadBalancerRegion(regionId, l.loadBalancerId));
    // Validate everything before changing anything: a rejected call must leave the listener untouched.
    const certId = optional(params, 'ServerCertificateId');
    if (certId !== undefined) this.findCertificate(region.id, certId);
    const bandwidth = optionalInt(params, 'Bandwidth', -1, 5120);
    if (bandwidth === 0) throw invalidParameter('Bandwidth');
    const sticky = optionalEnum(params, 'StickySession', ['on', 'off'] as const);
    const stickyType = optionalEnum(params, 'StickySessionType', ['insert', 'server'] as const);
    const cookieTimeout = optionalInt(params, 'CookieTimeout', 1, 86400);
    const cookie = optional(params, 'Cookie');
    if (sticky === 'on') {
      if (stickyType === undefined) throw missingParameter('StickySessionType');
      if (stickyType === 'insert' && cookieTimeout === undefined) throw missingParameter('CookieTimeout');
      if (stickyType === 'server' && cookie === undefined) throw missingParameter('Cookie');
    }
    const healthCheck = optionalEnum(params, 'HealthCheck', ['on', 'off'] as const);
    const policy = optionalEnum(params, 'TLSCipherPolicy', TLS_CIPHER_POLICIES);
    const http2 = optionalEnum(params, 'EnableHttp2', ['on', 'off'] as const);
    const gzip = optionalEnum(params, 'Gzip', ['on', 'off'] as const);
    const xff = optionalEnum(params, 'XForwardedFor', ['on', 'off'] as const);
    const scheduler = optionalEnum(params, 'Scheduler', ['wrr', 'rr', 'wlc', 'sch', 'tch', 'qch'] as const);
    const idle = optionalInt(params, 'IdleTimeout', 1, 60);
    const reqTimeout = optionalInt(params, 'RequestTimeout', 1, 180);
    const description = optional(params, 'Description');
    if (description !== undefined && description.length > 80) throw invalidParameter('Description');
    this.refuseWhileConfiguring(l.loadBalancerId);

    if (bandwidth !== undefined) l.bandwidth = bandwidth;
    if (sticky !== undefined) {
      l.stickySession = sticky;
      l.stickySessionType = sticky === 'on' ? stickyType : undefined;
      l.cookieTimeout = sticky === 'on' && stickyType === 'insert' ? cookieTimeout : undefined;
      l.cookie = sticky === 'on' && stickyType === 'server' ? cookie : undefined;
    }
    if (healthCheck !== undefined) l.healthCheck = healthCheck;
    if (policy !== undefined) l.tlsCipherPolicy = policy;
    if (http2 !== undefined) l.enableHttp2 = http2;
    if (gzip !== undefined) l.gzip = gzip;
    if (xff !== undefined) l.xForwardedFor = xff;
    if (scheduler !== undefined) l.scheduler = scheduler;
    if (idle !== undefined) l.idleTimeout = idle;
    if (reqTimeout !== undefined) l.requestTimeout = reqTimeout;
    if (description !== undefined) l.description = description;
    if (certId !== undefined && certId !== l.serverCertificateId) {
      l.serverCertificateId = certId;
      this.syncTls(region, l);
    }
    this.startConfiguring(l.loadBalancerId);
    return {};
  }

  private describeDomainExtensions(params: Params): Record<string, unknown> {
    required(params, 'RegionId');
    const l = this.listenerFromParams(params);
    const id = optional(params, 'DomainExtensionId');
    return {
      DomainExtensions: {
        DomainExtension: this.extensionItems(l).filter((e) => id === undefined || e.DomainExtensionId === id),
      },
    };
  }

  private setDomainExtensionAttribute(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const id = required(params, 'DomainExtensionId');
    const certId = optional(params, 'ServerCertificateId');
    const { listener, extension } = this.findDomainExtension(region, id);
    if (certId !== undefined) this.findCertificate(region.id, certId);
    this.refuseWhileConfiguring(listener.loadBalancerId);
    if (certId !== undefined && extension.serverCertificateId !== certId) {
      extension.serverCertificateId = certId;
      this.syncTls(region, listener);
    }
    this.startConfiguring(listener.loadBalancerId);
    return {};
  }

  private createDomainExtensionAction(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const lbId = required(params, 'LoadBalancerId');
    const port = requiredInt(params, 'ListenerPort', 1, 65535);
    const domain = required(params, 'Domain');
    const certId = required(params, 'ServerCertificateId');
    this.refuseWhileConfiguring(lbId);
    const id = this.createDomainExtension(region.id, lbId, port, domain, certId);
    this.startConfiguring(lbId);
    return { DomainExtensionId: id, ListenerPort: port };
  }

  private deleteDomainExtension(params: Params): Record<string, unknown> {
    const region = this.region(required(params, 'RegionId'));
    const { listener, extension } = this.findDomainExtension(region, required(params, 'DomainExtensionId'));
    this.refuseWhileConfiguring(listener.loadBalancerId);
    listener.domainExtensions.delete(extension.id);
    this.syncTls(region, listener);
    this.startConfiguring(listener.loadBalancerId);
    return {};
  }

  /** A write to a load balancer that is still applying the previous one is refused, and changes nothing. */
  private refuseWhileConfiguring(loadBalancerId: string): void {
    const until = this.configuringUntil.get(loadBalancerId);
    if (until !== undefined && this.options.clock() < until) {
      throw new ApiError('ServiceIsConfiguring', DEFAULT_MESSAGES.ServiceIsConfiguring as string);
    }
  }

  private startConfiguring(loadBalancerId: string): void {
    const window = this.options.configuringWindowMs ?? 0;
    if (window > 0) this.configuringUntil.set(loadBalancerId, this.options.clock() + window);
  }

  // ------------------------------------------------------------------ seeding and inspection (in-process)

  addLoadBalancer(regionId: string, options: { name?: string } = {}): { loadBalancerId: string; address: string } {
    const region = this.region(regionId);
    const n = nextAddress++;
    if (n >= 253 * 255) throw new Error('out of loopback addresses');
    // One loopback address per load balancer (127.B.0.2, …, 127.B.0.254, 127.B.1.2, …), so every listener can keep
    // its own port number. Linux routes all of 127/8 to lo without setup.
    const address = `127.${ADDRESS_BLOCK}.${Math.floor(n / 253)}.${2 + (n % 253)}`;
    const id = randomId('lb-', 21);
    region.loadBalancers.set(id, {
      id,
      name: options.name ?? `auto_named_slb_${region.loadBalancers.size + 1}`,
      regionId: region.id,
      address,
      createTimeStamp: this.options.clock(),
      listeners: new Map(),
      unreachable: undefined,
    });
    return { loadBalancerId: id, address };
  }

  async addHttpsListener(
    regionId: string,
    loadBalancerId: string,
    port: number,
    serverCertificateId: string,
    options: { status?: 'running' | 'stopped'; bandwidth?: number; tlsCipherPolicy?: string } = {},
  ): Promise<TlsEndpoint | undefined> {
    const region = this.region(regionId);
    const lb = this.loadBalancer(region, loadBalancerId);
    parseIntParam('ListenerPort', String(port), 1, 65535);
    if (lb.listeners.has(port)) {
      // Code UNCONFIRMED.
      throw new ApiError('ListenerAlreadyExists', `A listener already exists on port ${port}.`);
    }
    this.findCertificate(region.id, serverCertificateId);
    const listener: HttpsListener = {
      loadBalancerId: lb.id,
      port,
      serverCertificateId,
      status: options.status ?? 'running',
      backendServerPort: 80,
      bandwidth: options.bandwidth ?? -1,
      scheduler: 'wrr',
      stickySession: 'off',
      stickySessionType: undefined,
      cookieTimeout: undefined,
      cookie: undefined,
      healthCheck: 'on',
      tlsCipherPolicy: options.tlsCipherPolicy ?? 'tls_cipher_policy_1_0',
      enableHttp2: 'on',
      xForwardedFor: 'on',
      gzip: 'on',
      idleTimeout: 15,
      requestTimeout: 60,
      description: '',
      domainExtensions: new Map(),
    };
    lb.listeners.set(port, listener);
    if (!this.options.tls) return undefined;
    const key = tlsKey(region.id, lb.id, port);
    let endpoint: TlsEndpoint;
    try {
      endpoint = await this.options.tls.open(key, lb.address, port, this.tlsBinding(region, listener));
    } catch (err) {
      lb.listeners.delete(port);
      throw err;
    }
    if (lb.unreachable !== undefined) await this.options.tls.setUnreachable(key, lb.unreachable);
    return endpoint;
  }

  addDomainExtension(
    regionId: string,
    loadBalancerId: string,
    port: number,
    domain: string,
    serverCertificateId: string,
  ): string {
    return this.createDomainExtension(regionId, loadBalancerId, port, domain, serverCertificateId);
  }

  importCertificate(
    regionId: string,
    input: {
      certificatePem: string;
      privateKeyPem: string;
      name: string;
      tags?: Record<string, string>;
      resourceGroupId?: string;
    },
  ): ServerCertificateItem {
    const region = this.region(regionId);
    const cert = this.addCertificate(region, {
      certificatePem: input.certificatePem,
      privateKeyPem: input.privateKeyPem,
      name: input.name,
      tags: Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value })),
      resourceGroupId: input.resourceGroupId,
    });
    return this.item(cert);
  }

  certificates(regionId: string): ServerCertificateItem[] {
    return [...this.region(regionId).certificates.values()].map((c) => this.item(c));
  }

  binding(regionId: string, loadBalancerId: string, port: number): ListenerBinding {
    const region = this.region(regionId);
    const l = this.listener(region, loadBalancerId, port);
    return {
      serverCertificateId: l.serverCertificateId,
      domainExtensions: [...l.domainExtensions.values()].map((e) => ({
        domainExtensionId: e.id,
        domain: e.domain,
        serverCertificateId: e.serverCertificateId,
      })),
    };
  }

  tlsEndpoint(regionId: string, loadBalancerId: string, port: number): TlsEndpoint {
    const region = this.region(regionId);
    this.listener(region, loadBalancerId, port);
    const ep = this.options.tls?.endpoint(tlsKey(region.id, loadBalancerId, port));
    if (!ep) throw new Error(`no TLS server for ${loadBalancerId}:${port} (TLS listeners disabled?)`);
    return ep;
  }

  /** Certificate ids the TLS server hands out now; differs from `binding` while a stale-TLS fault is active. */
  servedBinding(regionId: string, loadBalancerId: string, port: number): ListenerBinding | undefined {
    const served = this.options.tls?.served(tlsKey(regionId, loadBalancerId, port));
    if (!served) return undefined;
    const current = this.binding(regionId, loadBalancerId, port);
    return {
      serverCertificateId: served.defaultCertificate.id,
      domainExtensions: served.extensions.map((e) => ({
        domainExtensionId:
          current.domainExtensions.find((d) => d.domain === e.domain)?.domainExtensionId ?? '(removed)',
        domain: e.domain,
        serverCertificateId: e.certificate.id,
      })),
    };
  }

  setCertificateQuota(regionId: string, quota: number): void {
    if (!Number.isInteger(quota) || quota < 0) throw new Error('quota must be a non-negative integer');
    this.region(regionId).quota = quota;
    this.quotas.set(regionId, quota);
  }

  /** Extensions allowed per listener: 3 by default, at most 10 (the documented maximum after a quota raise). */
  setDomainExtensionLimit(limit: number): void {
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_DOMAIN_EXTENSION_LIMIT) {
      throw new Error(`domain extension limit must be 0-${MAX_DOMAIN_EXTENSION_LIMIT}`);
    }
    this.domainExtensionLimit = limit;
  }

  /** Takes every TLS server of the load balancer off the wire (or back); the API keeps describing it as before. */
  async setUnreachable(regionId: string, loadBalancerId: string, mode: UnreachableMode | undefined): Promise<void> {
    const region = this.region(regionId);
    const lb = this.loadBalancer(region, loadBalancerId);
    lb.unreachable = mode;
    const tls = this.options.tls;
    if (!tls) return;
    await Promise.all([...lb.listeners.keys()].map((port) => tls.setUnreachable(tlsKey(region.id, lb.id, port), mode)));
  }

  /** Lets DeleteServerCertificate remove a certificate that is still bound, as a permissive service would. */
  setDeleteReferencedAllowed(allowed: boolean): void {
    this.deleteReferencedAllowed = allowed;
  }

  setTlsFrozen(regionId: string, loadBalancerId: string, port: number, frozen: boolean): void {
    this.options.tls?.setFrozen(tlsKey(regionId, loadBalancerId, port), frozen);
  }

  // ------------------------------------------------------------------ internals

  private region(regionId: string): Region {
    if (!SLB_REGIONS.has(regionId)) {
      throw new ApiError('InvalidRegionId', `The specified RegionId "${regionId}" does not exist.`);
    }
    let r = this.regions.get(regionId);
    if (!r) {
      r = {
        id: regionId,
        quota: this.quotas.get(regionId) ?? this.options.certificateQuota,
        certificates: new Map(),
        loadBalancers: new Map(),
      };
      this.regions.set(regionId, r);
    }
    return r;
  }

  private addCertificate(
    region: Region,
    input: {
      certificatePem: string;
      privateKeyPem: string;
      name: string | undefined;
      tags: Array<{ key: string; value: string }>;
      resourceGroupId: string | undefined;
    },
  ): StoredCertificate {
    if (input.name !== undefined && !UPLOAD_NAME_RE.test(input.name)) {
      throw invalidParameter(
        'ServerCertificateName',
        'The specified ServerCertificateName is not valid: 1-80 characters, starting with a letter, [A-Za-z0-9._-].',
      );
    }
    if (input.tags.length > 20) throw invalidParameter('Tag', 'At most 20 tags.');
    const v = validateCertificateUpload(input.certificatePem, input.privateKeyPem, region.id);
    // Quota last, as the real service validates the input first (UNCONFIRMED order); the code is the generic one,
    // the specific certificate-quota code being UNCONFIRMED.
    if (region.certificates.size >= region.quota) throw new ApiError('OverQuota', 'The Total is over the quota.');
    const now = this.options.clock();
    const id = `${ACCOUNT_ID}_${now.toString(16)}_${String(randomInt(1_000_000_000, 9_999_999_999))}_${String(
      randomInt(100_000_000, 999_999_999) + (this.idCounter++ % 1000),
    )}`;
    const cert: StoredCertificate = {
      id,
      // The real default name when none is given is UNCONFIRMED.
      name: input.name ?? '',
      regionId: region.id,
      resourceGroupId: input.resourceGroupId ?? 'rg-acfmxazb4ph6aiy',
      chainPem: v.chainPem,
      privateKeyPem: v.privateKeyPem,
      fingerprint: v.fingerprint,
      commonName: v.commonName,
      subjectAlternativeNames: v.subjectAlternativeNames,
      expireTimeStamp: v.expireTimeStamp,
      createTimeStamp: now,
      tags: new Map(input.tags.map((t) => [t.key, t.value])),
    };
    region.certificates.set(id, cert);
    return cert;
  }

  private item(c: StoredCertificate): ServerCertificateItem {
    return {
      ServerCertificateId: c.id,
      ServerCertificateName: c.name,
      Fingerprint: c.fingerprint,
      CommonName: c.commonName,
      SubjectAlternativeNames: { SubjectAlternativeName: [...c.subjectAlternativeNames] },
      ExpireTime: formatTimestamp(c.expireTimeStamp),
      ExpireTimeStamp: c.expireTimeStamp,
      CreateTime: formatTimestamp(c.createTimeStamp),
      // Whole seconds like ExpireTimeStamp; the ms field of the examples always ends in 000.
      CreateTimeStamp: Math.floor(c.createTimeStamp / 1000) * 1000,
      IsAliCloudCertificate: 0,
      AliCloudCertificateId: '0',
      AliCloudCertificateName: '',
      RegionId: c.regionId,
      RegionIdAlias: c.regionId,
      ResourceGroupId: c.resourceGroupId,
      Tags: { Tag: [...c.tags].map(([TagKey, TagValue]) => ({ TagKey, TagValue })) },
    };
  }

  private findCertificate(regionId: string | undefined, id: string): { region: Region; cert: StoredCertificate } {
    const regions = regionId === undefined ? [...this.regions.values()] : [this.region(regionId)];
    for (const region of regions) {
      const cert = region.certificates.get(id);
      if (cert) return { region, cert };
    }
    // Code UNCONFIRMED.
    throw new ApiError('ServerCertificateId.NotFound', `The specified ServerCertificateId "${id}" does not exist.`);
  }

  private loadBalancer(region: Region, id: string): LoadBalancer {
    const lb = region.loadBalancers.get(id);
    // Code from common POP usage; UNCONFIRMED for SLB.
    if (!lb)
      throw new ApiError('InvalidLoadBalancerId.NotFound', `The specified LoadBalancerId "${id}" does not exist.`);
    return lb;
  }

  private loadBalancerRegion(regionId: string | undefined, lbId: string): string {
    if (regionId !== undefined) return regionId;
    for (const r of this.regions.values()) if (r.loadBalancers.has(lbId)) return r.id;
    throw new ApiError('InvalidLoadBalancerId.NotFound', `The specified LoadBalancerId "${lbId}" does not exist.`);
  }

  private listener(region: Region, lbId: string, port: number): HttpsListener {
    const l = this.loadBalancer(region, lbId).listeners.get(port);
    // Code UNCONFIRMED.
    if (!l) throw new ApiError('ListenerNotFound', `There is no HTTPS listener on port ${port} of ${lbId}.`);
    return l;
  }

  /** RegionId is optional on the listener actions: the regional endpoint implies it. */
  private listenerFromParams(params: Params): HttpsListener {
    const lbId = required(params, 'LoadBalancerId');
    const port = requiredInt(params, 'ListenerPort', 1, 65535);
    const region = this.region(this.loadBalancerRegion(optional(params, 'RegionId'), lbId));
    return this.listener(region, lbId, port);
  }

  private findDomainExtension(
    region: Region,
    id: string,
  ): { listener: HttpsListener; extension: { id: string; domain: string; serverCertificateId: string } } {
    for (const lb of region.loadBalancers.values()) {
      for (const l of lb.listeners.values()) {
        const extension = l.domainExtensions.get(id);
        if (extension) return { listener: l, extension };
      }
    }
    // Code UNCONFIRMED.
    throw new ApiError('DomainExtensionId.NotFound', `The specified DomainExtensionId "${id}" does not exist.`);
  }

  private createDomainExtension(regionId: string, lbId: string, port: number, domain: string, certId: string): string {
    const region = this.region(regionId);
    const l = this.listener(region, lbId, port);
    if (!validDomain(domain)) throw invalidParameter('Domain');
    this.findCertificate(region.id, certId);
    for (const e of l.domainExtensions.values()) {
      if (e.domain.toLowerCase() === domain.toLowerCase()) {
        // Code UNCONFIRMED.
        throw new ApiError('DomainExtensionExist', `Domain ${domain} already has an extension on this listener.`);
      }
    }
    if (l.domainExtensions.size >= this.domainExtensionLimit) {
      // Code UNCONFIRMED (generic quota code).
      throw new ApiError('OverQuota', 'The Total is over the quota.');
    }
    const id = randomId('de-', 17);
    l.domainExtensions.set(id, { id, domain, serverCertificateId: certId });
    this.syncTls(region, l);
    return id;
  }

  private extensionItems(l: HttpsListener): Array<Record<string, string>> {
    return [...l.domainExtensions.values()].map((e) => ({
      DomainExtensionId: e.id,
      Domain: e.domain,
      ServerCertificateId: e.serverCertificateId,
    }));
  }

  /** Places that use a certificate, for CertificateAndPrivateKeyIsRefered. */
  private usersOf(region: Region, certId: string): string[] {
    const users: string[] = [];
    for (const lb of region.loadBalancers.values()) {
      for (const l of lb.listeners.values()) {
        if (l.serverCertificateId === certId) users.push(`${lb.id}:${l.port}`);
        for (const e of l.domainExtensions.values()) {
          if (e.serverCertificateId === certId) users.push(`${lb.id}:${l.port}/${e.domain}`);
        }
      }
    }
    return users;
  }

  private material(region: Region, certId: string): TlsMaterial {
    const c = region.certificates.get(certId) ?? this.orphans.get(certId);
    if (!c) throw new Error(`certificate ${certId} vanished while bound`);
    return { id: c.id, chainPem: c.chainPem, privateKeyPem: c.privateKeyPem };
  }

  private tlsBinding(region: Region, l: HttpsListener): TlsBinding {
    return {
      defaultCertificate: this.material(region, l.serverCertificateId),
      extensions: [...l.domainExtensions.values()].map((e) => ({
        domain: e.domain,
        certificate: this.material(region, e.serverCertificateId),
      })),
    };
  }

  private syncTls(region: Region, l: HttpsListener): void {
    this.options.tls?.update(tlsKey(region.id, l.loadBalancerId, l.port), this.tlsBinding(region, l));
  }
}
