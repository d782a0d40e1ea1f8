/**
 * An in-memory CLB region for unit tests of the executor: listeners, SNI domain extensions and certificates, a log of
 * every call, and the faults the executor must survive (a refused change, an accepted change that reads back wrong).
 * It keeps SLB's rule that a referenced certificate cannot be deleted only when `permissiveDeletes` is false.
 */
import type { ServerCertificate, Target, TargetBinding } from '../../shared/domain/certificate.js';
import { describeTarget } from '../../shared/domain/certificate.js';
import { CloudApiError } from '../../shared/errors.js';
import type {
  DomainExtensionInfo,
  HttpsListenerInfo,
  LoadBalancerInfo,
  LoadBalancerService,
  UploadRequest,
} from '../../shared/ports/load-balancer.js';
import { aServerCertificate, parseFakePem } from './builders.js';

export interface MemoryLoadBalancer extends LoadBalancerService {
  certificates: ServerCertificate[];
  listeners: Map<string, string>;
  extensions: Map<string, { loadBalancerId: string; port: number; domain: string; serverCertificateId: string }>;
  calls: string[];
  /** Writes only (what changed SLB). */
  writes(): string[];
  /** Target names whose Set* call is refused. */
  refuse: Set<string>;
  /** Target names whose Set* is accepted but not applied (reads back the old certificate). */
  ignore: Set<string>;
  permissiveDeletes: boolean;
  serving(target: string): string | undefined;
}

const WRITES = /^(Upload|Delete|Set)/;

export function memoryLoadBalancer(
  setup: {
    certificates?: ServerCertificate[];
    listeners?: { loadBalancerId: string; port: number; serverCertificateId: string }[];
    extensions?: { id: string; loadBalancerId: string; port: number; domain: string; serverCertificateId: string }[];
  } = {},
): MemoryLoadBalancer {
  let uploaded = 0;
  const lb: MemoryLoadBalancer = {
    regionId: 'cn-hangzhou',
    certificates: [...(setup.certificates ?? [])],
    listeners: new Map((setup.listeners ?? []).map((l) => [`${l.loadBalancerId}:${l.port}`, l.serverCertificateId])),
    extensions: new Map((setup.extensions ?? []).map((e) => [e.id, { ...e }])),
    calls: [],
    writes: () => lb.calls.filter((c) => WRITES.test(c)),
    refuse: new Set(),
    ignore: new Set(),
    permissiveDeletes: false,
    serving(target) {
      return (
        lb.listeners.get(target) ??
        [...lb.extensions.entries()].find(([id]) => target.includes(`(${id})`))?.[1].serverCertificateId
      );
    },
    async listServerCertificates() {
      lb.calls.push('DescribeServerCertificates');
      return lb.certificates.map((c) => ({ ...c }));
    },
    async uploadServerCertificate(request: UploadRequest) {
      lb.calls.push(`UploadServerCertificate ${request.serverCertificateName}`);
      const { sha1, notAfter } = parseFakePem(request.certificatePem);
      const cert = {
        ...aServerCertificate({ id: `uploaded-${++uploaded}`, notAfter, fingerprint: sha1 }),
        tags: request.tags,
      };
      lb.certificates.push(cert);
      return { ...cert };
    },
    async deleteServerCertificate(id) {
      lb.calls.push(`DeleteServerCertificate ${id}`);
      const referenced =
        [...lb.listeners.values()].includes(id) ||
        [...lb.extensions.values()].some((e) => e.serverCertificateId === id);
      if (referenced && !lb.permissiveDeletes) {
        throw new CloudApiError('cleanup', 'DeleteServerCertificate', 'referenced', {
          code: 'CertificateAndPrivateKeyIsRefered',
        });
      }
      lb.certificates = lb.certificates.filter((c) => c.serverCertificateId !== id);
    },
    async getBinding(target: Target): Promise<TargetBinding> {
      lb.calls.push(`Describe ${describeTarget(target)}`);
      const id =
        target.kind === 'listener'
          ? lb.listeners.get(`${target.loadBalancerId}:${target.port}`)
          : lb.extensions.get(target.domainExtensionId)?.serverCertificateId;
      if (!id) throw new CloudApiError('gather', 'Describe', `no such target ${describeTarget(target)}`);
      return { target, serverCertificateId: id };
    },
    async setBinding(target: Target, id: string) {
      const name = describeTarget(target);
      lb.calls.push(`Set ${name} ${id}`);
      if (lb.refuse.has(name)) {
        throw new CloudApiError('deploy', 'Set', `${name} refused`, { code: 'InvalidParameter' });
      }
      if (lb.ignore.has(name)) return;
      if (target.kind === 'listener') lb.listeners.set(`${target.loadBalancerId}:${target.port}`, id);
      else {
        const e = lb.extensions.get(target.domainExtensionId);
        if (e) e.serverCertificateId = id;
      }
    },
    async listLoadBalancers(): Promise<LoadBalancerInfo[]> {
      lb.calls.push('DescribeLoadBalancers');
      const ids = new Set([...lb.listeners.keys()].map((k) => k.split(':')[0] as string));
      return [...ids].map((id, i) => ({ loadBalancerId: id, address: `127.0.0.${i + 2}`, addressType: 'internet' }));
    },
    async listHttpsListeners(): Promise<HttpsListenerInfo[]> {
      lb.calls.push('DescribeLoadBalancerListeners');
      return [...lb.listeners.entries()].map(([k, id]) => {
        const [loadBalancerId, port] = k.split(':');
        return { loadBalancerId: loadBalancerId as string, port: Number(port), serverCertificateId: id };
      });
    },
    async listDomainExtensions(loadBalancerId, port): Promise<DomainExtensionInfo[]> {
      lb.calls.push(`DescribeDomainExtensions ${loadBalancerId}:${port}`);
      return [...lb.extensions.entries()]
        .filter(([, e]) => e.loadBalancerId === loadBalancerId && e.port === port)
        .map(([id, e]) => ({ domainExtensionId: id, domain: e.domain, serverCertificateId: e.serverCertificateId }));
    },
  };
  return lb;
}
