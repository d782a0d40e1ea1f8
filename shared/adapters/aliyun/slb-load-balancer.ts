import type { ServerCertificate, Target, TargetBinding } from '../../domain/certificate.js';
import { CloudApiError } from '../../errors.js';
import type {
  DomainExtensionInfo,
  HttpsListenerInfo,
  LoadBalancerInfo,
  LoadBalancerService,
  UploadRequest,
} from '../../ports/load-balancer.js';
import type { AliyunRpcClient } from './rpc-client.js';

/** Wire shapes of SLB 2014-05-15 (see the README's API notes); lists come wrapped the POP way and may be missing. */
interface WireCertificate {
  ServerCertificateId?: string;
  ServerCertificateName?: string;
  RegionId?: string;
  Fingerprint?: string;
  ExpireTime?: string;
  ExpireTimeStamp?: number | string;
  CreateTimeStamp?: number | string;
  CommonName?: string;
  SubjectAlternativeNames?: { SubjectAlternativeName?: string[] };
  Tags?: { Tag?: { TagKey?: string; TagValue?: string }[] };
}
interface WireHttpsListener {
  ServerCertificateId?: string;
  DomainExtensions?: {
    DomainExtension?: { DomainExtensionId?: string; Domain?: string; ServerCertificateId?: string }[];
  };
}

export class SlbLoadBalancer implements LoadBalancerService {
  constructor(
    readonly regionId: string,
    private readonly rpc: AliyunRpcClient,
  ) {}

  async listServerCertificates(): Promise<ServerCertificate[]> {
    const body = await this.rpc.call<{ ServerCertificates?: { ServerCertificate?: WireCertificate[] } }>(
      'DescribeServerCertificates',
      { RegionId: this.regionId },
      { stage: 'gather', idempotent: true },
    );
    return (body.ServerCertificates?.ServerCertificate ?? []).map((c) =>
      this.#toCertificate(c, 'DescribeServerCertificates'),
    );
  }

  async uploadServerCertificate(request: UploadRequest): Promise<ServerCertificate> {
    const tags = Object.entries(request.tags);
    if (tags.length > 20) throw new Error('SLB accepts at most 20 tags');
    const params: Record<string, unknown> = {
      RegionId: this.regionId,
      ServerCertificateName: request.serverCertificateName,
      ServerCertificate: request.certificatePem,
      PrivateKey: request.privateKeyPem,
    };
    tags.forEach(([key, value], i) => {
      params[`Tag.${i + 1}.Key`] = key;
      params[`Tag.${i + 1}.Value`] = value;
    });
    // Not idempotent: a repeated upload after a lost answer would create a second certificate and use quota.
    const body = await this.rpc.call<WireCertificate>('UploadServerCertificate', params, {
      stage: 'upload',
      idempotent: false,
    });
    // The Upload response carries no Tags; report the ones sent so callers see one shape.
    return { ...this.#toCertificate(body, 'UploadServerCertificate'), tags: { ...request.tags } };
  }

  async deleteServerCertificate(serverCertificateId: string): Promise<void> {
    await this.rpc.call(
      'DeleteServerCertificate',
      { RegionId: this.regionId, ServerCertificateId: serverCertificateId },
      { stage: 'cleanup', idempotent: true },
    );
  }

  async getBinding(target: Target): Promise<TargetBinding> {
    const listener = await this.rpc.call<WireHttpsListener>(
      'DescribeLoadBalancerHTTPSListenerAttribute',
      { RegionId: this.regionId, LoadBalancerId: target.loadBalancerId, ListenerPort: target.port },
      { stage: 'gather', idempotent: true },
    );
    if (target.kind === 'listener') {
      return { target, serverCertificateId: required(listener.ServerCertificateId, 'ServerCertificateId', target) };
    }
    const ext = (listener.DomainExtensions?.DomainExtension ?? []).find(
      (d) => d.DomainExtensionId === target.domainExtensionId,
    );
    if (!ext) {
      throw new CloudApiError(
        'gather',
        'DescribeLoadBalancerHTTPSListenerAttribute',
        `domain extension ${target.domainExtensionId} not found on ${target.loadBalancerId}:${target.port}`,
        { code: 'DomainExtensionNotFound' },
      );
    }
    return { target, serverCertificateId: required(ext.ServerCertificateId, 'ServerCertificateId', target) };
  }

  async setBinding(target: Target, serverCertificateId: string): Promise<void> {
    if (target.kind === 'listener') {
      // Only the documented minimum (what Certimate sends in production): other attributes keep their values.
      await this.rpc.call(
        'SetLoadBalancerHTTPSListenerAttribute',
        {
          RegionId: this.regionId,
          LoadBalancerId: target.loadBalancerId,
          ListenerPort: target.port,
          ServerCertificateId: serverCertificateId,
        },
        { stage: 'deploy', idempotent: true },
      );
      return;
    }
    await this.rpc.call(
      'SetDomainExtensionAttribute',
      {
        RegionId: this.regionId,
        DomainExtensionId: target.domainExtensionId,
        ServerCertificateId: serverCertificateId,
      },
      { stage: 'deploy', idempotent: true },
    );
  }

  async listLoadBalancers(): Promise<LoadBalancerInfo[]> {
    const out: LoadBalancerInfo[] = [];
    for (let page = 1; page <= 1000; page++) {
      const body = await this.rpc.call<{
        TotalCount?: number;
        LoadBalancers?: { LoadBalancer?: { LoadBalancerId?: string; Address?: string; AddressType?: string }[] };
      }>(
        'DescribeLoadBalancers',
        { RegionId: this.regionId, PageNumber: page, PageSize: 100 },
        { stage: 'gather', idempotent: true },
      );
      const batch = body.LoadBalancers?.LoadBalancer ?? [];
      for (const lb of batch) {
        if (lb.LoadBalancerId)
          out.push({ loadBalancerId: lb.LoadBalancerId, address: lb.Address ?? '', addressType: lb.AddressType });
      }
      if (batch.length < 100 || out.length >= Number(body.TotalCount ?? 0)) break;
    }
    return out;
  }

  async listHttpsListeners(): Promise<HttpsListenerInfo[]> {
    const out: HttpsListenerInfo[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const body = await this.rpc.call<{
        NextToken?: string;
        Listeners?: {
          LoadBalancerId?: string;
          ListenerPort?: number | string;
          ListenerProtocol?: string;
          HTTPSListenerConfig?: { ServerCertificateId?: string };
        }[];
      }>(
        'DescribeLoadBalancerListeners',
        {
          RegionId: this.regionId,
          ListenerProtocol: 'https',
          MaxResults: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        },
        { stage: 'gather', idempotent: true },
      );
      for (const l of body.Listeners ?? []) {
        const certificateId = l.HTTPSListenerConfig?.ServerCertificateId;
        if (
          l.LoadBalancerId &&
          l.ListenerPort !== undefined &&
          certificateId &&
          l.ListenerProtocol?.toLowerCase() === 'https'
        ) {
          out.push({
            loadBalancerId: l.LoadBalancerId,
            port: Number(l.ListenerPort),
            serverCertificateId: certificateId,
          });
        }
      }
      nextToken = body.NextToken || undefined;
      if (!nextToken) break;
    }
    return out;
  }

  async listDomainExtensions(loadBalancerId: string, port: number): Promise<DomainExtensionInfo[]> {
    const body = await this.rpc.call<{
      DomainExtensions?: {
        DomainExtension?: { DomainExtensionId?: string; Domain?: string; ServerCertificateId?: string }[];
      };
    }>(
      'DescribeDomainExtensions',
      { RegionId: this.regionId, LoadBalancerId: loadBalancerId, ListenerPort: port },
      { stage: 'gather', idempotent: true },
    );
    return (body.DomainExtensions?.DomainExtension ?? [])
      .filter((d) => d.DomainExtensionId && d.Domain && d.ServerCertificateId)
      .map((d) => ({
        domainExtensionId: d.DomainExtensionId as string,
        domain: (d.Domain as string).toLowerCase(),
        serverCertificateId: d.ServerCertificateId as string,
      }));
  }

  #toCertificate(c: WireCertificate, action: string): ServerCertificate {
    const id = c.ServerCertificateId;
    const expire = Number(c.ExpireTimeStamp);
    if (!id || !c.Fingerprint || !Number.isFinite(expire)) {
      throw new CloudApiError(
        'gather',
        action,
        `${action} returned a certificate without ServerCertificateId, Fingerprint or ExpireTimeStamp`,
        { code: 'UnexpectedResponse' },
      );
    }
    const created = Number(c.CreateTimeStamp);
    return {
      serverCertificateId: id,
      serverCertificateName: c.ServerCertificateName ?? '',
      regionId: c.RegionId ?? this.regionId,
      fingerprint: c.Fingerprint,
      expireTimeStamp: expire,
      expireTime: c.ExpireTime ?? new Date(expire).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      createTimeStamp: Number.isFinite(created) && created > 0 ? created : undefined,
      commonName: c.CommonName,
      subjectAlternativeNames: c.SubjectAlternativeNames?.SubjectAlternativeName ?? [],
      tags: Object.fromEntries(
        (c.Tags?.Tag ?? []).filter((t) => t.TagKey).map((t) => [t.TagKey as string, t.TagValue ?? '']),
      ),
    };
  }
}

function required(value: string | undefined, field: string, target: Target): string {
  if (!value) {
    throw new CloudApiError(
      'gather',
      'DescribeLoadBalancerHTTPSListenerAttribute',
      `${target.loadBalancerId}:${target.port} reports no ${field}: is it an HTTPS listener?`,
      { code: 'UnexpectedResponse' },
    );
  }
  return value;
}
