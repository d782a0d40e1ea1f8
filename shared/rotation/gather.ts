import type { ManagedCertificate } from '../config/types.js';
import { describeTarget, type ServerCertificate, type Target, type TargetBinding } from '../domain/certificate.js';
import { ariCertIdOf, isRotatorCertificate, TAG_NAME } from '../domain/tags.js';
import { asRotatorError, CloudApiError, ConfigError } from '../errors.js';
import { selectCurrentCertificate } from '../policy/current-certificate.js';
import type { RenewalInfoSource, RenewalWindow } from '../ports/renewal-info.js';
import type { RegionInventory } from './inventory.js';
import type { RegionView } from './region-view.js';

/** What SLB (and the CA's renewal information) says about one managed certificate now: everything the plan needs. */
export interface Gathered {
  certificate: ManagedCertificate;
  /** Every server certificate in the region. */
  certificates: ServerCertificate[];
  /** Every target the run would move: the configured ones and, with byReference, every one serving the old certificate. */
  bindings: TargetBinding[];
  previous: ServerCertificate | null;
  note: string | undefined;
  /** The CA's suggested renewal window for `previous`, when it offers one. */
  ari: RenewalWindow | null;
  /** The region scan, when byReference made one (the plan's prune prediction uses it). */
  inventory: RegionInventory | undefined;
  warnings: string[];
}

/** Gather: what SLB serves now for one managed certificate. Read-only; shares the region's reads with the run. */
export async function gather(
  region: RegionView,
  cert: ManagedCertificate,
  renewalInfo: RenewalInfoSource | undefined,
  signal?: AbortSignal,
): Promise<Gathered> {
  const [certificates, listed, inventory] = await Promise.all([
    region.certificates(),
    listedBindings(region, cert),
    cert.byReference ? region.scan() : Promise.resolve(undefined),
  ]);
  let bindings = listed;
  if (inventory) {
    // The certificates this name stands for: the rotator's own, and certificates covering exactly the configured
    // names (a hand-uploaded one being taken over, possibly still served somewhere after an interrupted takeover),
    // unless another managed name of the rotator's owns them.
    const own = certificates.filter((c) => isRotatorCertificate(c, cert.name)).map((c) => c.serverCertificateId);
    const sameNames = certificates
      .filter((c) => coversExactly(c, cert.domains) && (!c.tags[TAG_NAME] || c.tags[TAG_NAME] === cert.name))
      .map((c) => c.serverCertificateId);
    const mine = new Set([...own, ...sameNames, ...listed.map((b) => b.serverCertificateId)]);
    bindings = mergeTargets(
      listed,
      inventory.bindings.filter((b) => mine.has(b.serverCertificateId)),
    );
  }
  const selection = selectCurrentCertificate(cert.name, certificates, bindings);
  if (selection.kind === 'missing') {
    throw new CloudApiError(
      'gather',
      'DescribeServerCertificates',
      `the targets serve ${selection.serverCertificateIds.join(', ')}, which DescribeServerCertificates does not list in ${cert.region}`,
      { code: 'ServerCertificateId.NotFound' },
    );
  }
  const previous = selection.kind === 'none' ? null : selection.certificate;
  const warnings: string[] = [];
  const ariId = previous ? ariCertIdOf(previous) : undefined;
  let ari: RenewalWindow | null = null;
  if (ariId && renewalInfo) {
    try {
      ari = await renewalInfo.renewalWindow(ariId, signal ? { signal } : {});
    } catch (err) {
      // ARI is advice: without it the lifetime rule still decides.
      warnings.push(
        `renewal information unavailable, using the lifetime rule: ${asRotatorError(err, 'decide').message}`,
      );
    }
  }
  return {
    certificate: cert,
    certificates,
    bindings,
    previous,
    note: selection.kind === 'bound' ? selection.note : undefined,
    ari,
    inventory,
    warnings,
  };
}

async function listedBindings(region: RegionView, cert: ManagedCertificate): Promise<TargetBinding[]> {
  const listeners = cert.listeners.map((l) =>
    region.binding({ kind: 'listener', regionId: cert.region, loadBalancerId: l.loadBalancerId, port: l.port }),
  );
  const extensions = cert.domainExtensions.map(async (d): Promise<TargetBinding> => {
    const found = (await region.domainExtensions(d.loadBalancerId, d.port)).find((e) => e.domain === d.domain);
    if (!found) {
      throw new ConfigError([
        `certificates ${cert.name}: domainExtensions: ${d.loadBalancerId}:${d.port} has no SNI domain ${d.domain}`,
      ]);
    }
    const target: Target = {
      kind: 'domain-extension',
      regionId: cert.region,
      loadBalancerId: d.loadBalancerId,
      port: d.port,
      domainExtensionId: found.domainExtensionId,
      domain: found.domain,
    };
    return { target, serverCertificateId: found.serverCertificateId };
  });
  return Promise.all([...listeners, ...extensions]);
}

function mergeTargets(a: TargetBinding[], b: TargetBinding[]): TargetBinding[] {
  const seen = new Set(a.map((t) => describeTarget(t.target)));
  return [...a, ...b.filter((t) => !seen.has(describeTarget(t.target)))];
}

function coversExactly(c: ServerCertificate, domains: string[]): boolean {
  const names = new Set(
    [...(c.commonName ? [c.commonName] : []), ...c.subjectAlternativeNames].map((n) => n.toLowerCase()),
  );
  return names.size === domains.length && domains.every((d) => names.has(d));
}
