import type { IssuedCertificate } from '../domain/certificate.js';

export type KeyType = 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export interface IssueRequest {
  /** Names for the certificate; the first is the common name. Wildcards allowed. */
  domains: string[];
  keyType: KeyType;
  /** ARI certificate identifier of the certificate this one replaces (RFC 9773 `replaces`), when known. */
  replaces?: string;
  /**
   * Challenge records at these names created before this instant were placed by a run that no longer holds the
   * certificate's lease (it died and its lease was taken over): remove them now, not only once they are an hour old.
   */
  abandonedRecordsBefore?: Date;
  signal?: AbortSignal;
}

/** Obtains certificates from an ACME CA, solving DNS-01 through a DnsProvider it was built with. */
export interface CertificateAuthority {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
}
