import { describeTarget, type ServerCertificate, type Target, type TargetBinding } from '../domain/certificate.js';
import type { DomainExtensionInfo, LoadBalancerInfo, LoadBalancerService } from '../ports/load-balancer.js';
import { type RegionInventory, scanRegion } from './inventory.js';

/**
 * One region as a run sees it: every read is made at most once per run and shared by every certificate of the
 * region, and the run's own writes (uploads, moves, deletions) are applied to what was read, so a later certificate
 * sees them without reading again. Only a deletion re-reads (`freshCertificates`, `freshScan`): deleting on a stale
 * view could remove a certificate someone bound since.
 */
export class RegionView {
  readonly lb: LoadBalancerService;
  #certificates: Promise<ServerCertificate[]> | undefined;
  #scan: Promise<RegionInventory> | undefined;
  #loadBalancers: Promise<Map<string, LoadBalancerInfo>> | undefined;
  readonly #extensions = new Map<string, Promise<DomainExtensionInfo[]>>();
  /** Uploads that certificates of this run have room for but have not made yet (see reserveUpload). */
  #reservedUploads = 0;
  #slotWaiters: (() => void)[] = [];

  constructor(lb: LoadBalancerService) {
    this.lb = lb;
  }

  get regionId(): string {
    return this.lb.regionId;
  }

  /** DescribeServerCertificates, once per run. */
  certificates(): Promise<ServerCertificate[]> {
    this.#certificates ??= retryable(
      () => this.lb.listServerCertificates(),
      () => (this.#certificates = undefined),
    );
    return this.#certificates.then((list) => [...list]);
  }

  /** Every listener and SNI domain extension of the region, once per run (only `byReference` and pruning need it). */
  scan(): Promise<RegionInventory> {
    this.#scan ??= retryable(
      () => scanRegion(this.lb),
      () => (this.#scan = undefined),
    );
    return this.#scan;
  }

  /** Load balancer addresses, once per run: from the scan when one was made. */
  loadBalancers(): Promise<Map<string, LoadBalancerInfo>> {
    if (this.#scan) return this.#scan.then((s) => s.loadBalancers);
    this.#loadBalancers ??= retryable(
      async () => new Map((await this.lb.listLoadBalancers()).map((b) => [b.loadBalancerId, b])),
      () => (this.#loadBalancers = undefined),
    );
    return this.#loadBalancers;
  }

  /** The SNI domain extensions of one listener, once per run. */
  domainExtensions(loadBalancerId: string, port: number): Promise<DomainExtensionInfo[]> {
    if (this.#scan) {
      return this.#scan.then((s) =>
        s.bindings.flatMap((b) =>
          b.target.kind === 'domain-extension' && b.target.loadBalancerId === loadBalancerId && b.target.port === port
            ? [
                {
                  domainExtensionId: b.target.domainExtensionId,
                  domain: b.target.domain,
                  serverCertificateId: b.serverCertificateId,
                },
              ]
            : [],
        ),
      );
    }
    const key = `${loadBalancerId}:${port}`;
    let found = this.#extensions.get(key);
    if (!found) {
      found = retryable(
        () => this.lb.listDomainExtensions(loadBalancerId, port),
        () => this.#extensions.delete(key),
      );
      this.#extensions.set(key, found);
    }
    return found;
  }

  /** What a target serves now: read from SLB (targets are few, and their state is what the run acts on). */
  binding(target: Target): Promise<TargetBinding> {
    return this.lb.getBinding(target);
  }

  /** Right before deleting: what the region holds now. Replaces the run's view. */
  freshCertificates(): Promise<ServerCertificate[]> {
    this.#certificates = this.lb.listServerCertificates();
    this.#certificates.catch(() => (this.#certificates = undefined));
    return this.certificates();
  }

  /** Right before deleting: what every listener and extension serves now. Replaces the run's view. */
  freshScan(): Promise<RegionInventory> {
    this.#scan = scanRegion(this.lb);
    this.#scan.catch(() => (this.#scan = undefined));
    return this.#scan;
  }

  /**
   * Room for one upload under the region's certificate quota, held from the quota check until the certificate's
   * execution ends (its upload is listed by then, and what it replaced pruned): certificates rotated at the same
   * time each count the others' uploads, so together they never exceed the quota. While held, an upload that was
   * made counts twice (listed and reserved): others wait a little longer, never past the quota. Returns the release,
   * safe to call more than once.
   */
  reserveUpload(): () => void {
    this.#reservedUploads++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#reservedUploads--;
      this.#slotsChanged();
    };
  }

  get reservedUploads(): number {
    return this.#reservedUploads;
  }

  /** Resolves at the next release of a reservation or deletion of a certificate: when room may have appeared. */
  slotsChange(): Promise<void> {
    return new Promise((resolve) => this.#slotWaiters.push(resolve));
  }

  #slotsChanged(): void {
    const waiters = this.#slotWaiters;
    this.#slotWaiters = [];
    for (const wake of waiters) wake();
  }

  recordUpload(certificate: ServerCertificate): void {
    this.#apply((list) =>
      list.some((c) => c.serverCertificateId === certificate.serverCertificateId) ? list : [...list, certificate],
    );
  }

  recordDeletion(serverCertificateId: string): void {
    this.#apply((list) => list.filter((c) => c.serverCertificateId !== serverCertificateId));
    this.#slotsChanged();
  }

  recordBinding(target: Target, serverCertificateId: string): void {
    const name = describeTarget(target);
    if (target.kind === 'domain-extension') {
      const key = `${target.loadBalancerId}:${target.port}`;
      const list = this.#extensions.get(key);
      if (list) {
        this.#extensions.set(
          key,
          list.then((l) =>
            l.map((e) => (e.domainExtensionId === target.domainExtensionId ? { ...e, serverCertificateId } : e)),
          ),
        );
      }
    }
    this.#scan = this.#scan?.then((s) => ({
      ...s,
      bindings: s.bindings.map((b) => (describeTarget(b.target) === name ? { ...b, serverCertificateId } : b)),
    }));
  }

  #apply(change: (list: ServerCertificate[]) => ServerCertificate[]): void {
    if (this.#certificates) this.#certificates = this.#certificates.then(change);
  }
}

/** A read that failed is not cached: the next certificate of the region tries again. */
function retryable<T>(read: () => Promise<T>, forget: () => void): Promise<T> {
  const p = read();
  p.catch(forget);
  return p;
}
