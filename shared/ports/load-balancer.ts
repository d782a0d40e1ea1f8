import type { ServerCertificate, Target, TargetBinding } from '../domain/certificate.js';

export interface UploadRequest {
  regionId: string;
  serverCertificateName: string;
  certificatePem: string;
  privateKeyPem: string;
  tags: Record<string, string>;
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
}
