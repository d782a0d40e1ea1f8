import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { dnsNamesOf, validityOf } from '../certs/x509.js';
import type { WatchStatus } from '../status/types.js';
import type { EndpointObservation } from './observe-endpoint.js';
import type { WatchTarget } from './settings.js';

const DAY_MS = 86_400_000;

/** Node's code for "the chain verified, the names did not": judged separately below, with a clearer reason. */
const NAME_MISMATCH_CODE = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** DNS names and IP addresses of the subjectAltName; the subject CN only when there is no SAN at all. */
function namesOf(leaf: X509Certificate): string[] {
  const dns = dnsNamesOf(leaf);
  const ips = [...(leaf.subjectAltName ?? '').matchAll(/(?:^|, )IP Address:([^,]+)/g)].map((m) => m[1]!.trim());
  if (dns.length + ips.length > 0) return [...dns, ...ips];
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1];
  return cn ? [cn] : [];
}

function covers(leaf: X509Certificate, servername: string): boolean {
  if (isIP(servername) !== 0) return leaf.checkIP(servername) !== undefined;
  // `subject: 'default'` falls back to the CN only without DNS SANs, as browsers no longer do at all; 'never' matches them.
  return leaf.checkHost(servername, { subject: 'never' }) !== undefined;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function days(n: number): string {
  const abs = Math.abs(n);
  const text = abs < 10 ? abs.toFixed(1) : Math.floor(abs).toString();
  return `${text} ${text === '1.0' || text === '1' ? 'day' : 'days'}`;
}

/**
 * The verdict on one watched endpoint. Pure: the clock is `now`. When several things are wrong the worst names the
 * state (expired, then invalid, then expiring) and the reason lists every problem, so one fix does not reveal the
 * next only on tomorrow's run.
 */
export function classifyEndpoint(target: WatchTarget, observation: EndpointObservation, now: Date): WatchStatus {
  const base = { endpoint: target.endpoint, servername: target.servername };
  if (observation.kind === 'unreachable') {
    return {
      ...base,
      state: 'unreachable',
      reason: observation.reason,
      expireTime: null,
      daysLeft: null,
      names: [],
      issuer: null,
    };
  }
  const leaf = observation.chain[0]!;
  const { notBefore, notAfter } = validityOf(leaf);
  const daysLeft = (notAfter.getTime() - now.getTime()) / DAY_MS;
  const names = namesOf(leaf);
  const issuer = leaf.issuer.split('\n').join(', ');

  const problems: { state: 'expired' | 'invalid' | 'expiring'; text: string }[] = [];
  if (daysLeft <= 0)
    problems.push({ state: 'expired', text: `expired ${days(daysLeft)} ago (${notAfter.toISOString()})` });
  if (notBefore.getTime() > now.getTime())
    problems.push({ state: 'invalid', text: `not valid before ${notBefore.toISOString()}` });
  if (!covers(leaf, target.servername))
    problems.push({
      state: 'invalid',
      text: `the certificate does not cover ${target.servername} (it names ${names.length > 0 ? names.join(', ') : 'nothing'})`,
    });
  const chainError = observation.authorized ? undefined : (observation.authorizationError ?? 'not trusted');
  // Expiry is judged against `now` above; OpenSSL's own verdict on it would only repeat that with the real clock.
  if (
    chainError !== undefined &&
    chainError !== NAME_MISMATCH_CODE &&
    !(daysLeft <= 0 && chainError === 'CERT_HAS_EXPIRED')
  )
    problems.push({ state: 'invalid', text: `the chain does not verify against the trust store (${chainError})` });
  if (daysLeft > 0 && daysLeft <= target.expiryWarningDays)
    problems.push({
      state: 'expiring',
      text: `expires in ${days(daysLeft)} (${notAfter.toISOString()}; warning from ${target.expiryWarningDays} days)`,
    });

  const order = ['expired', 'invalid', 'expiring'] as const;
  const worst = order.find((s) => problems.some((p) => p.state === s));
  const reason =
    problems.length > 0
      ? problems.map((p) => p.text).join('; ')
      : `valid for ${days(daysLeft)} (until ${notAfter.toISOString()}), covers ${target.servername}, chain verifies`;
  return {
    ...base,
    state: worst ?? 'ok',
    reason,
    expireTime: notAfter.toISOString(),
    daysLeft: round2(daysLeft),
    names,
    issuer,
  };
}
