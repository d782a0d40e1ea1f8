import { randomBytes } from 'node:crypto';
import { ApiError } from './errors.js';

export interface AccessKey {
  accessKeyId: string;
  accessKeySecret: string;
}

export interface StsCredentials extends AccessKey {
  securityToken: string;
  /** Epoch ms, on the emulator's clock. */
  expiration: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

/**
 * The account's access keys. Long-term keys look like real ones (`LTAI` + 20 chars, 30-char secret); STS keys start
 * with `STS.` and are bound to one security token with an expiry, like the role credentials FC hands a function.
 */
export class CredentialStore {
  private readonly longTerm = new Map<string, string>();
  private readonly sts = new Map<string, { secret: string; token: string; expiration: number }>();

  constructor(private readonly clock: () => number) {}

  createAccessKey(fixed?: AccessKey): AccessKey {
    const key = fixed ?? { accessKeyId: `LTAI${randomAlnum(20)}`, accessKeySecret: randomAlnum(30) };
    if (key.accessKeyId.startsWith('STS.')) throw new Error('a long-term AccessKeyId must not start with "STS."');
    this.longTerm.set(key.accessKeyId, key.accessKeySecret);
    return { ...key };
  }

  issueSts(ttlMs = 3_600_000): StsCredentials {
    const accessKeyId = `STS.${randomAlnum(26)}`;
    const accessKeySecret = randomAlnum(44);
    // Real tokens are long base64 blobs starting with "CAIS"; only the shape matters to clients.
    const securityToken = `CAIS${randomBytes(96).toString('base64')}`;
    const expiration = this.clock() + ttlMs;
    this.sts.set(accessKeyId, { secret: accessKeySecret, token: securityToken, expiration });
    return { accessKeyId, accessKeySecret, securityToken, expiration };
  }

  /**
   * The secret to verify the signature with, after the STS checks. The InvalidSecurityToken.* names are UNCONFIRMED
   * (common knowledge, no source in the reference); their HTTP status too.
   */
  secretFor(accessKeyId: string, securityToken: string | undefined): string {
    if (!accessKeyId.startsWith('STS.')) {
      const secret = this.longTerm.get(accessKeyId);
      if (secret === undefined) throw accessKeyNotFound();
      return secret;
    }
    const entry = this.sts.get(accessKeyId);
    if (entry === undefined) throw accessKeyNotFound();
    if (securityToken === undefined || securityToken === '') {
      throw new ApiError('InvalidSecurityToken.Missing', 'The security token you provided is missing.', 400);
    }
    if (securityToken !== entry.token) {
      throw new ApiError('InvalidSecurityToken.Malformed', 'The security token you provided is malformed.', 400);
    }
    if (this.clock() >= entry.expiration) {
      throw new ApiError('InvalidSecurityToken.Expired', 'The security token you provided has expired.', 400);
    }
    return entry.secret;
  }
}

// 400 per the SLB doc, 404 per the KMS doc (UNCONFIRMED which one SLB/Alidns really send); 404 is what POP's
// gateway is widely reported to answer, and pop-core ignores the status anyway.
function accessKeyNotFound(): ApiError {
  return new ApiError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404);
}
