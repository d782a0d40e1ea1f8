import type { ServerCertificate, Target, TargetBinding } from '../domain/certificate.js';

export interface UploadRequest {
  regionId: string;
  serverCertificateName: string;
  certificatePem: string;
  privateKeyPem: string;
  tags: Record<string, string>;
}

export interface LoadBalancerInfo {
  loadBalancerId: string;
  /** The service address clients connect to. */
  address: string;
  /** `internet` or `intranet`: an intranet address may not be reachable from the function. */
  addressType: string | undefined;
}

export interface HttpsListenerInfo {
  loadBalancerId: string;
  port: number;
  serverCertificateId: string;
}

export interface DomainExtensionInfo {
  domainExtensionId: string;
  domain: string;
  serverCertificateId: string;
}

/**
 * What the rotator needs from Server Load Balancer (CLB). One instance serves one region: SLB endpoints and
 * certificates are regional, and mixing regions is the most common way other tools upload to the wrong place.
 */
export interface LoadBalancerService {
  readonly regionId: string;
  /** Every server certificate in the region (SLB has no paging for this call). */
  listServerCertificates(): Promise<ServerCertificate[]>;
  uploadServerCertificate(request: UploadRequest): Promise<ServerCertificate>;
  deleteServerCertificate(serverCertificateId: string): Promise<void>;
  /** The certificate a listener or domain extension serves now. */
  getBinding(target: Target): Promise<TargetBinding>;
  /** Point a listener or domain extension at a certificate. */
  setBinding(target: Target, serverCertificateId: string): Promise<void>;
  /** Every load balancer in the region (paginated underneath). */
  listLoadBalancers(): Promise<LoadBalancerInfo[]>;
  /** Every HTTPS listener in the region with its default certificate (paginated underneath). */
  listHttpsListeners(): Promise<HttpsListenerInfo[]>;
  /** The SNI domain extensions of one HTTPS listener. */
  listDomainExtensions(loadBalancerId: string, port: number): Promise<DomainExtensionInfo[]>;
}
