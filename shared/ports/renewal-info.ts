/** RFC 9773 (ACME Renewal Information): the window in which the CA suggests renewing a certificate. */
export interface RenewalWindow {
  start: Date;
  end: Date;
  explanationUrl?: string;
}

/**
 * Asks the CA when a certificate should be renewed. `certId` is the RFC 9773 identifier
 * (base64url(AKI keyIdentifier) "." base64url(serial)), which the rotator keeps in a tag of every certificate it
 * uploads. Resolves to null when the CA does not offer ARI; throws only for a CA that offers it and failed.
 */
export interface RenewalInfoSource {
  renewalWindow(certId: string, options?: { signal?: AbortSignal }): Promise<RenewalWindow | null>;
}
