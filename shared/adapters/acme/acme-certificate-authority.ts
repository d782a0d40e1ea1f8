/**
 * CertificateAuthority over ACME (RFC 8555) with DNS-01, driving acme-client's lower-level calls rather than
 * `auto()`: the order needs fields `auto()` cannot pass (ARI `replaces`), propagation is checked against the
 * authoritative servers instead of acme-client's resolver, and every TXT record placed is removed by its ref.
 */
import { createPrivateKey, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { inspectIssued } from '../../certs/inspect.js';
import { generateRsaPrivateKeyPem } from '../../certs/private-key.js';
import type { IssuedCertificate } from '../../domain/certificate.js';
import { AcmeError, DnsChallengeError, RotatorError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { CertificateAuthority, IssueRequest, KeyType } from '../../ports/certificate-authority.js';
import type { DnsProvider, PropagationChecker, TxtRecordRef } from '../../ports/dns.js';
import {
  type AcmeCallContext,
  type AcmeModule,
  type AcmeProblem,
  loadAcmeClient,
  withAcmeContext,
} from './acme-client-loader.js';
import { rejectsReplaces, toAcmeError } from './problems.js';

type AcmeClient = InstanceType<AcmeModule['Client']>;
type AcmeAuthorization = Awaited<ReturnType<AcmeClient['getAuthorizations']>>[number];
type AcmeChallenge = AcmeAuthorization['challenges'][number];

const generateKeyPairAsync = promisify(generateKeyPair);

/** Default age beyond which a challenge TXT record is taken to be a leftover of an interrupted run. */
export const DEFAULT_STALE_CHALLENGE_RECORD_AGE_MS = 60 * 60 * 1000;

export interface AcmeBackoff {
  /** Polls of a pending challenge/order before giving up. Default 12. */
  attempts?: number;
  /** First wait between polls, doubling up to `maxMs`. Defaults 1000 and 10000 ms (acme-client: 5000/30000). */
  minMs?: number;
  maxMs?: number;
}

export interface AcmeCertificateAuthorityOptions {
  directoryUrl: string;
  /** PEM (PKCS#8, PKCS#1 or SEC1). Without it each instance registers a throwaway account (test CAs only). */
  accountKeyPem?: string | undefined;
  email?: string | undefined;
  externalAccountBinding?: { kid: string; hmacKey: string } | undefined;
  dns: DnsProvider;
  propagation: PropagationChecker;
  logger?: Logger | undefined;
  backoff?: AcmeBackoff | undefined;
  /** Passed to the propagation checker for each record; its own default applies when absent. */
  propagationTimeoutMs?: number | undefined;
  /** Forward acme-client's own log lines (URLs, states, retries; no keys) to `logger.debug`. Default true. */
  debugAcmeClient?: boolean;
  /**
   * Before placing challenge records, TXT records at the order's `_acme-challenge.<base>` names that are older than
   * this are removed as leftovers of an interrupted run. Younger ones may belong to a validation another tool is
   * running right now and are kept, as are records whose age the provider does not report. Default 1 hour;
   * `Infinity` turns the sweep off.
   */
  staleChallengeRecordAgeMs?: number | undefined;
  /**
   * Makes each certificate's private key (PEM). Default: a new RSA key of the requested size for every order. Tests
   * pass a few keys they reuse: a 2048-bit key costs up to seconds of CPU on a small machine, hundreds of times.
   */
  certificateKeys?: ((keyType: KeyType) => Promise<string>) | undefined;
}

/** What `issue` returns: the checked certificate; `cleanupError` says when TXT records could not be removed. */
export type AcmeIssuedCertificate = IssuedCertificate;

interface PendingChallenge {
  authz: AcmeAuthorization;
  challenge: AcmeChallenge;
  identifier: string;
  record: TxtRecordRef;
}

export class AcmeCertificateAuthority implements CertificateAuthority {
  private readonly options: AcmeCertificateAuthorityOptions;
  private client: Promise<{ acme: AcmeModule; client: AcmeClient }> | undefined;

  constructor(options: AcmeCertificateAuthorityOptions) {
    const age = options.staleChallengeRecordAgeMs;
    if (age !== undefined && !(age >= 0)) {
      throw new TypeError(`staleChallengeRecordAgeMs must be a non-negative number, not ${String(age)}`);
    }
    this.options = options;
  }

  async issue(request: IssueRequest): Promise<AcmeIssuedCertificate> {
    const { domains, keyType, replaces, abandonedRecordsBefore, signal } = request;
    if (domains.length === 0) throw new AcmeError('no domains to order a certificate for', { code: 'noDomains' });
    const subject = domains.join(', ');
    const log = this.options.logger?.child({ component: 'acme', domains });
    signal?.throwIfAborted();

    const { acme, client } = await this.account();
    const debug = this.debugFn(log);
    const placed: TxtRecordRef[] = [];
    let result: AcmeIssuedCertificate | undefined;
    let failure: unknown;
    let keyPem: Promise<string> | undefined;

    try {
      const order = await newOrder(client, domains, replaces, subject, debug, log);
      log?.info({ order: order.url, status: order.status }, 'ACME order created');
      // An RSA key costs up to seconds of CPU on a small instance: make it while the records propagate, not after.
      keyPem = (this.options.certificateKeys ?? generateRsaPrivateKeyPem)(keyType);
      keyPem.catch(() => undefined); // awaited below; an order that fails first must not leave it unhandled
      const authzs = await step(debug, 'authorizations', subject, () => client.getAuthorizations(order));

      // Alongside the placing, not before it: the records this order places are newer than any cut-off the sweep
      // applies, so it never removes them, and its listing costs no time of its own.
      const sweep = this.sweepStaleRecords(authzs, abandonedRecordsBefore, log);
      const todo = await this.placeRecords(client, authzs, placed, debug, log).finally(() => sweep);
      signal?.throwIfAborted();
      // When one record times out, stop polling for the others: they would keep the process busy for minutes.
      const waits = new AbortController();
      const forward = () => waits.abort(signal?.reason);
      signal?.addEventListener('abort', forward, { once: true });
      try {
        await Promise.all(
          todo.map((t) =>
            this.options.propagation.waitForTxt(t.record, {
              ...(this.options.propagationTimeoutMs ? { timeoutMs: this.options.propagationTimeoutMs } : {}),
              signal: waits.signal,
            }),
          ),
        );
      } finally {
        signal?.removeEventListener('abort', forward);
        waits.abort(new Error('propagation wait no longer needed'));
      }
      signal?.throwIfAborted();
      // Tell the CA only after every record is visible: a second name's record appearing late would otherwise
      // fail the whole order.
      await Promise.all(
        todo.map((t) =>
          step(debug, 'challenge', t.identifier, async () => {
            await client.completeChallenge(t.challenge);
            await client.waitForValidStatus(t.challenge);
          }),
        ),
      );
      log?.debug({ identifiers: todo.map((t) => t.identifier) }, 'DNS-01 challenges valid');
      signal?.throwIfAborted();

      const certificateKeyPem = await keyPem;
      const [commonName] = domains;
      // acme-client signs the CSR through WebCrypto, which imports PKCS#8 only.
      const pkcs8 = createPrivateKey(certificateKeyPem).export({ type: 'pkcs8', format: 'pem' }) as string;
      const [, csr] = await acme.crypto.createCsr(
        { ...(commonName && commonName.length <= 64 ? { commonName } : {}), altNames: domains },
        pkcs8,
      );
      const finalized = await step(debug, 'finalize', subject, async () => {
        // waitForValidStatus returns the bare resource: keep the order URL, later polls need it.
        const ready =
          order.status === 'ready' ? order : { ...(await client.waitForValidStatus(order)), url: order.url };
        return { ...(await client.finalizeOrder(ready, csr)), url: order.url };
      });
      const chainPem = await step(debug, 'certificate download', subject, () => client.getCertificate(finalized));
      result = inspectIssued(chainPem, certificateKeyPem, domains);
      log?.info(
        { serialNumber: result.serialNumber, notAfter: result.notAfter.toISOString(), sha1: result.sha1 },
        'certificate issued',
      );
    } catch (err) {
      failure = err;
    } finally {
      const cleanupError = await this.removeRecords(placed, log, failure !== undefined);
      if (failure === undefined && result && cleanupError) result.cleanupError = cleanupError;
    }
    if (failure !== undefined) throw failure;
    return result as AcmeIssuedCertificate;
  }

  private async placeRecords(
    client: AcmeClient,
    authzs: AcmeAuthorization[],
    placed: TxtRecordRef[],
    debug: ((msg: string) => void) | undefined,
    log: Logger | undefined,
  ): Promise<PendingChallenge[]> {
    const work: Omit<PendingChallenge, 'record'>[] = [];
    for (const authz of authzs) {
      const identifier = `${authz.wildcard ? '*.' : ''}${authz.identifier.value}`;
      if (authz.status === 'valid') {
        log?.debug({ identifier }, 'authorization already valid (reused)');
        continue;
      }
      if (authz.status !== 'pending') {
        throw new AcmeError(`ACME authorization for ${identifier} is ${authz.status}`, { code: authz.status });
      }
      const challenge = authz.challenges.find((c) => c.type === 'dns-01');
      if (!challenge) {
        throw new AcmeError(
          `ACME authorization for ${identifier} offers no dns-01 challenge (only ${authz.challenges.map((c) => c.type).join(', ')})`,
          { code: 'noDns01' },
        );
      }
      work.push({ authz, challenge, identifier });
    }
    // Wildcard and apex share `_acme-challenge.<base>`: two records with two values on one name.
    const settled = await Promise.allSettled(
      work.map(async (w) => {
        const value = await step(debug, 'key authorization', w.identifier, () =>
          client.getChallengeKeyAuthorization(w.challenge),
        );
        const record = await this.options.dns.addTxtRecord(`_acme-challenge.${w.authz.identifier.value}`, value);
        placed.push(record);
        log?.debug({ identifier: w.identifier, fqdn: record.fqdn, recordId: record.recordId }, 'TXT record placed');
        return { ...w, record };
      }),
    );
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) {
      const reason: unknown = rejected.reason;
      throw reason instanceof RotatorError
        ? reason
        : new DnsChallengeError(
            `could not place a DNS-01 TXT record: ${reason instanceof Error ? reason.message : String(reason)}`,
            { cause: reason, retryable: true },
          );
    }
    return settled.map((s) => (s as PromiseFulfilledResult<PendingChallenge>).value);
  }

  /**
   * Remove challenge records an interrupted run left at this order's names. Validation tolerates them (the CA accepts
   * any matching value among several), but every interrupted run adds more, and nothing else ever removes them.
   * Never throws: a failed sweep must not cost the renewal. A record is stale when it is older than the age limit, or
   * was created before `abandonedBefore` (the caller knows the run that placed it is gone).
   */
  private async sweepStaleRecords(
    authzs: AcmeAuthorization[],
    abandonedBefore: Date | undefined,
    log: Logger | undefined,
  ): Promise<void> {
    const maxAgeMs = this.options.staleChallengeRecordAgeMs ?? DEFAULT_STALE_CHALLENGE_RECORD_AGE_MS;
    if (maxAgeMs === Infinity && !abandonedBefore) return;
    const names = [...new Set(authzs.map((a) => `_acme-challenge.${a.identifier.value.toLowerCase()}`))];
    await Promise.all(
      names.map(async (fqdn) => {
        let records: Awaited<ReturnType<DnsProvider['listTxtRecords']>>;
        try {
          records = await this.options.dns.listTxtRecords(fqdn);
        } catch (err) {
          log?.warn({ fqdn, error: describe(err) }, 'could not list TXT records to remove stale challenge records');
          return;
        }
        const now = Date.now();
        const stale = records.filter(
          (r) =>
            // A provider that answers with other names must not make this delete them.
            r.fqdn.replace(/\.$/, '').toLowerCase() === fqdn &&
            r.createdAt !== undefined &&
            (now - r.createdAt.getTime() > maxAgeMs ||
              (abandonedBefore !== undefined && r.createdAt.getTime() < abandonedBefore.getTime())),
        );
        // One at a time: providers that rewrite a whole name per removal (challtestsrv) cannot take them in parallel.
        for (const record of stale) {
          const ageMs = now - (record.createdAt as Date).getTime();
          try {
            await this.options.dns.removeTxtRecord(record);
            log?.info(
              {
                fqdn,
                zone: record.zone,
                recordId: record.recordId,
                ageMs,
                ...(ageMs <= maxAgeMs ? { abandonedBefore: abandonedBefore?.toISOString() } : {}),
              },
              'stale challenge TXT record removed',
            );
          } catch (err) {
            log?.warn(
              { fqdn, zone: record.zone, recordId: record.recordId, ageMs, error: describe(err) },
              'could not remove a stale challenge TXT record',
            );
          }
        }
      }),
    );
  }

  /** Remove exactly the records placed; never throws. Returns the error to surface, if any removal failed. */
  private async removeRecords(
    placed: TxtRecordRef[],
    log: Logger | undefined,
    issuanceFailed: boolean,
  ): Promise<DnsChallengeError | undefined> {
    const results = await Promise.allSettled(placed.map((r) => this.options.dns.removeTxtRecord(r)));
    const failed = placed
      .map((record, i) => ({ record, result: results[i] }))
      .filter((x): x is { record: TxtRecordRef; result: PromiseRejectedResult } => x.result?.status === 'rejected');
    if (failed.length === 0) {
      if (placed.length > 0) log?.debug({ records: placed.length }, 'TXT records removed');
      return undefined;
    }
    const names = failed.map((f) => `${f.record.fqdn} (record ${f.record.recordId})`).join(', ');
    const reasons = failed.map((f) => describe(f.result.reason)).join('; ');
    const error = new DnsChallengeError(`could not remove DNS-01 TXT record(s) ${names}: ${reasons}`, {
      cause: failed[0]?.result.reason,
      retryable: true,
      code: 'TXT_CLEANUP_FAILED',
    });
    log?.error(
      {
        err: error,
        records: failed.map((f) => ({ fqdn: f.record.fqdn, zone: f.record.zone, recordId: f.record.recordId })),
        issuanceFailed,
      },
      issuanceFailed
        ? 'TXT records left behind after a failed issuance (the issuance error follows)'
        : 'certificate issued, but TXT records were left behind: remove them by hand or let the next run retry',
    );
    return error;
  }

  private debugFn(log: Logger | undefined): ((msg: string) => void) | undefined {
    if (!log || this.options.debugAcmeClient === false) return undefined;
    return (msg) => log.debug({ acmeClient: msg }, 'acme-client');
  }

  private account(): Promise<{ acme: AcmeModule; client: AcmeClient }> {
    this.client ??= (async () => {
      const acme = await loadAcmeClient();
      const accountKeyPem = this.options.accountKeyPem ?? (await generateAccountKeyPem());
      const backoff = this.options.backoff ?? {};
      const client = new acme.Client({
        directoryUrl: this.options.directoryUrl,
        accountKey: accountKeyPem,
        ...(this.options.externalAccountBinding ? { externalAccountBinding: this.options.externalAccountBinding } : {}),
        backoffAttempts: backoff.attempts ?? 12,
        backoffMin: backoff.minMs ?? 1_000,
        backoffMax: backoff.maxMs ?? 10_000,
      });
      await ensureAccount(client, {
        existingKey: this.options.accountKeyPem !== undefined,
        email: this.options.email,
        directoryUrl: this.options.directoryUrl,
        debug: this.debugFn(this.options.logger),
      });
      this.options.logger?.debug({ account: client.getAccountUrl() }, 'ACME account ready');
      return { acme, client };
    })();
    // A failed registration (CA down) must not poison later attempts.
    this.client.catch(() => {
      this.client = undefined;
    });
    return this.client;
  }
}

/**
 * Find the key's account, or register one. acme-client's createAccount on a known key turns into an account update
 * that some CAs (Pebble) reject as an empty update, so a stored key is first looked up with onlyReturnExisting.
 */
async function ensureAccount(
  client: AcmeClient,
  o: {
    existingKey: boolean;
    email: string | undefined;
    directoryUrl: string;
    debug: ((msg: string) => void) | undefined;
  },
): Promise<void> {
  if (o.existingKey) {
    try {
      await step(o.debug, 'account lookup', o.directoryUrl, () => client.createAccount({ onlyReturnExisting: true }));
      return;
    } catch (err) {
      if (!(err instanceof AcmeError && err.code === 'accountDoesNotExist')) throw err;
    }
  }
  await step(o.debug, 'account', o.directoryUrl, () =>
    client.createAccount({
      termsOfServiceAgreed: true,
      ...(o.email ? { contact: [`mailto:${o.email}`] } : {}),
    }),
  );
}

/**
 * Place the order. When it carries `replaces` and the CA refuses it for that reason (RFC 9773: the certificate was
 * already replaced, or the CA cannot place the identifier), place it once more without: a renewal that loses the
 * ARI link only loses its rate-limit exemption, while a failed one leaves an expiring certificate in place.
 */
async function newOrder(
  client: AcmeClient,
  domains: string[],
  replaces: string | undefined,
  subject: string,
  debug: ((msg: string) => void) | undefined,
  log: Logger | undefined,
): Promise<Awaited<ReturnType<AcmeClient['createOrder']>>> {
  const create = (withReplaces: boolean) =>
    client.createOrder({
      identifiers: domains.map((value) => ({ type: 'dns', value })),
      // Not in acme-client's types (RFC 9773); it sends whatever the payload holds.
      ...(withReplaces && replaces ? { replaces } : {}),
    } as Parameters<AcmeClient['createOrder']>[0]);
  if (!replaces) return step(debug, 'new order', subject, () => create(false));

  let refusal: AcmeProblem | undefined;
  try {
    return await withAcmeContext(debug, async (ctx) => {
      try {
        return await create(true);
      } catch (err) {
        if (rejectsReplaces(ctx.problem)) refusal = ctx.problem;
        throw toAcmeError(err, 'new order', subject, ctx);
      }
    });
  } catch (err) {
    if (!refusal) throw err;
    log?.warn(
      { replaces, error: err instanceof RotatorError ? err.message : describe(err) },
      'the CA refused the order because of `replaces`; ordering again without it',
    );
  }
  return step(debug, 'new order', subject, () => create(false));
}

/** Run one ACME step in its own call context and turn its failure into an AcmeError naming the step. */
function step<T>(
  debug: ((msg: string) => void) | undefined,
  name: string,
  subject: string,
  fn: () => Promise<T>,
): Promise<T> {
  return withAcmeContext(debug, async (ctx: AcmeCallContext) => {
    try {
      return await fn();
    } catch (err) {
      throw toAcmeError(err, name, subject, ctx);
    }
  });
}

function describe(err: unknown): string {
  if (err instanceof RotatorError) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** A new ECDSA P-256 account key, PKCS#8 PEM (fast to make; every public ACME CA accepts ES256). */
export async function generateAccountKeyPem(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return privateKey;
}

export interface CreateAccountOptions {
  directoryUrl: string;
  email?: string | undefined;
  externalAccountBinding?: { kid: string; hmacKey: string } | undefined;
  /** Register this key instead of a new one (e.g. to look up its account URL). */
  accountKeyPem?: string | undefined;
  logger?: Logger | undefined;
}

/** Register an account (agreeing to the CA's terms) and return its key, for `account create`. Never logs the key. */
export async function createAcmeAccount(
  options: CreateAccountOptions,
): Promise<{ accountKeyPem: string; accountUrl: string }> {
  const acme = await loadAcmeClient();
  const accountKeyPem = options.accountKeyPem ?? (await generateAccountKeyPem());
  const client = new acme.Client({
    directoryUrl: options.directoryUrl,
    accountKey: accountKeyPem,
    ...(options.externalAccountBinding ? { externalAccountBinding: options.externalAccountBinding } : {}),
  });
  const debug = options.logger ? (msg: string) => options.logger?.debug({ acmeClient: msg }, 'acme-client') : undefined;
  await ensureAccount(client, {
    existingKey: options.accountKeyPem !== undefined,
    email: options.email,
    directoryUrl: options.directoryUrl,
    debug,
  });
  return { accountKeyPem, accountUrl: client.getAccountUrl() };
}
