import { signAcs3Request } from '../../shared/adapters/fc/acs3-signer.js';
import { urlProblem } from '../../shared/config/url-check.js';
import { TOKEN_VARIABLE } from '../../shared/operator/auth.js';
import { IDEMPOTENCY_HEADER, idempotencyKeyProblem } from '../../shared/operator/idempotency.js';
import { credentialsFromEnvironment } from '../../shared/runtime/credentials.js';
import { defineCommand } from '../command.js';
import { certificateOption } from '../compose-cli.js';
import { UsageError } from '../usage-error.js';

const ROUTES = ['rotate', 'plan', 'status'] as const;
type Route = (typeof ROUTES)[number];

// UNCONFIRMED facts this command relies on: that FC's gateway accepts the ACS3 signature with exactly host,
// content-type and the x-acs-* headers signed and the query in V3 canonical form (FC's page names the algorithm and
// the Node helper, not the signed set: see acs3-signer.ts); that an anonymous trigger passes `Authorization` through
// to the function; and that it passes `Idempotency-Key` through (any header the event lists is assumed to).

/** A deployed operator API can take a while to plan a large fleet; it answers `POST /rotate` at once (202). */
const TIMEOUT_MS = 120_000;

export const triggerCommand = defineCommand({
  path: ['trigger'],
  summary: "Call a deployed operator function's API: start a rotation (default), or read its plan or status.",
  details: `--url is the operator function's HTTP trigger URL. With authType function (the default deployment) the
request is signed with ACS3-HMAC-SHA256 using ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (/ _SECURITY_TOKEN); with
--token (authType anonymous) it carries the bearer token from ${TOKEN_VARIABLE} instead. Prints the answer's JSON.
--idempotency-key sends the ${IDEMPOTENCY_HEADER} header with POST /rotate: repeating the command with the same key
(after a lost answer) starts no second run and answers 200 {"alreadyStarted": true}.
Exit code 0 for a 2xx answer (202: the run was started; its invocation id is printed), 1 otherwise.`,
  options: {
    url: { type: 'string', value: 'URL', required: true, description: "the operator function's HTTP trigger URL" },
    route: { type: 'string', value: 'ROUTE', description: `${ROUTES.join(' | ')} (default rotate)` },
    certificate: certificateOption,
    force: { type: 'boolean', description: 'order even when not due' },
    'dry-run': { type: 'boolean', description: 'POST /rotate answers with the plan and changes nothing' },
    'idempotency-key': {
      type: 'string',
      value: 'KEY',
      description: 'POST /rotate at most once per KEY (printable ASCII, at most 64 characters; a UUID is good)',
    },
    token: {
      type: 'boolean',
      description: `authenticate with the bearer token in ${TOKEN_VARIABLE} (authType anonymous)`,
    },
  },
  async run(values, io) {
    const route = (values.route ?? 'rotate') as Route;
    if (!ROUTES.includes(route))
      throw new UsageError(`--route ${JSON.stringify(values.route)}: use one of ${ROUTES.join(', ')}`);
    const problem = urlProblem(values.url, ['https:', 'http:']);
    if (problem) throw new UsageError(`--url: ${problem}`);
    const base = new URL(values.url);
    if (base.search || base.hash) throw new UsageError('--url: give the trigger URL without a query or fragment');
    const url = new URL(`/${route}`, base);
    const key = values['idempotency-key'];
    if (key !== undefined) {
      if (route !== 'rotate') throw new UsageError('--idempotency-key goes with --route rotate only');
      const keyProblem = idempotencyKeyProblem(key);
      if (keyProblem) throw new UsageError(`--idempotency-key ${keyProblem}`);
    }
    const certificates = values.certificate.length > 0 ? values.certificate : undefined;
    let body: string | undefined;
    if (route === 'rotate') {
      body = JSON.stringify({
        ...(certificates ? { certificates } : {}),
        ...(values.force ? { force: true } : {}),
        ...(values['dry-run'] ? { dryRun: true } : {}),
      });
    } else {
      if (certificates) url.searchParams.set('certificates', certificates.join(','));
      if (values.force && route === 'plan') url.searchParams.set('force', 'true');
    }
    const method = route === 'rotate' ? 'POST' : 'GET';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Not among the headers ACS3 signs (host, content-type, x-acs-*): TLS is what keeps it as sent.
    if (key !== undefined) headers[IDEMPOTENCY_HEADER.toLowerCase()] = key;
    if (values.token) {
      const token = io.env[TOKEN_VARIABLE]?.trim();
      if (!token) throw new UsageError(`--token needs the operator's token in ${TOKEN_VARIABLE}`);
      headers.authorization = `Bearer ${token}`;
    } else {
      const credentials = await credentialsFromEnvironment(io.env).getCredentials();
      Object.assign(
        headers,
        signAcs3Request({
          method,
          url: url.toString(),
          headers,
          ...(body !== undefined ? { body } : {}),
          credentials,
          now: new Date(),
        }),
      );
    }
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    }).catch((err: unknown) => {
      throw new Error(
        `${method} ${url.origin}${url.pathname} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    const text = await response.text();
    io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    if (!response.ok) io.stderr.write(`${method} ${url.pathname}: HTTP ${response.status}\n`);
    return response.ok ? 0 : 1;
  },
});
