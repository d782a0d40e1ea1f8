import type { ManagedCertificate } from '../config/types.js';
import { describeTarget, type ServerCertificate, type Target, type TargetBinding } from '../domain/certificate.js';
import { CloudApiError, ConfigError } from '../errors.js';
import { selectCurrentCertificate } from '../policy/current-certificate.js';
import type { LoadBalancerService } from '../ports/load-balancer.js';
import { type RegionInventory, scanRegion } from './inventory.js';
import { isRotatorCertificate, TAG_NAME } from './tags.js';

export interface InUse {
  certificates: ServerCertificate[];
  /** Every target this run moves: the configured ones and, with byReference, every one serving the old certificate. */
  bindings: TargetBinding[];
  previous: ServerCertificate | null;
  note: string | undefined;
  /** The region scan, when byReference needed one. */
  inventory: RegionInventory | undefined;
}

/** Gather: what SLB serves now for one managed certificate. Read-only. */
export async function gatherInUse(lb: LoadBalancerService, cert: ManagedCertificate): Promise<InUse> {
  const [certificates, listed, inventory] = await Promise.all([
    lb.listServerCertificates(),
    listedBindings(lb, cert),
    cert.byReference ? scanRegion(lb) : Promise.resolve(undefined),
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
  return {
    certificates,
    bindings,
    previous: selection.kind === 'none' ? null : selection.certificate,
    note: selection.kind === 'bound' ? selection.note : undefined,
    inventory,
  };
}

async function listedBindings(lb: LoadBalancerService, cert: ManagedCertificate): Promise<TargetBinding[]> {
  const listeners = cert.listeners.map((l) =>
    lb.getBinding({ kind: 'listener', regionId: cert.region, loadBalancerId: l.loadBalancerId, port: l.port }),
  );
  const extensions = cert.domainExtensions.map(async (d): Promise<TargetBinding> => {
    const found = (await lb.listDomainExtensions(d.loadBalancerId, d.port)).find((e) => e.domain === d.domain);
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
