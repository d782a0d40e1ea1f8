// Pure mapping of CA problems to AcmeError; lives here with the ACME tests. Pebble 2.4 cannot produce rate limits
// or 5xx answers, so these cases are covered by feeding problem documents directly.
import { describe, expect, it } from 'vitest';
import type { AcmeCallContext, AcmeProblem } from '../../../shared/adapters/acme/acme-client-loader.js';
import { toAcmeError } from '../../../shared/adapters/acme/problems.js';
import { AcmeError, DnsChallengeError } from '../../../shared/errors.js';

const ctx = (problem?: AcmeProblem, transport?: string): AcmeCallContext => ({ problem, transport, debug: undefined });
const p = (type: string, extra: Partial<AcmeProblem> = {}): AcmeProblem => ({
  type: `urn:ietf:params:acme:error:${type}`,
  detail: `detail of ${type}`,
  status: 400,
  ...extra,
});

describe('toAcmeError', () => {
  it.each<[string, AcmeCallContext, Error, boolean, string, RegExp]>([
    [
      'rate limit',
      ctx(p('rateLimited', { status: 429 })),
      new Error('x'),
      true,
      'rateLimited',
      /failed: rateLimited \(detail of rateLimited\)/,
    ],
    [
      'server error',
      ctx(p('serverInternal', { status: 500 })),
      new Error('x'),
      true,
      'serverInternal',
      /serverInternal/,
    ],
    [
      'bare 503',
      ctx({ status: 503, detail: 'maintenance' }),
      new Error('x'),
      true,
      'HTTP 503',
      /failed: HTTP 503 \(maintenance\)/,
    ],
    ['CA DNS trouble', ctx(p('dns')), new Error('x'), true, 'dns', /dns/],
    ['unauthorized', ctx(p('unauthorized', { status: 403 })), new Error('x'), false, 'unauthorized', /unauthorized/],
    [
      'rejected identifier',
      ctx(p('rejectedIdentifier')),
      new Error('x'),
      false,
      'rejectedIdentifier',
      /rejectedIdentifier/,
    ],
    ['CAA', ctx(p('caa')), new Error('x'), false, 'caa', /caa/],
    [
      'compound with a permanent subproblem',
      ctx(
        p('compound', {
          subproblems: [
            { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'no', identifier: { value: 'a.test' } },
          ],
        }),
      ),
      new Error('x'),
      false,
      'compound',
      /compound .*; a\.test: rejectedIdentifier no/,
    ],
    [
      'connection refused',
      ctx(undefined, 'ECONNREFUSED'),
      new TypeError("Cannot read properties of undefined (reading 'config')"),
      true,
      'ECONNREFUSED',
      /cannot talk to the CA \(ECONNREFUSED\)$/,
    ],
    [
      'untrusted TLS',
      ctx(undefined, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      new TypeError('x'),
      false,
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      /TLS certificate trusted\?/,
    ],
    [
      'still pending after every poll',
      ctx(),
      new Error('Operation is pending or processing'),
      true,
      'timeout',
      /did not finish in time/,
    ],
  ])('%s', (_name, context, err, retryable, code, message) => {
    const mapped = toAcmeError(err, 'new order', 'a.test', context);
    expect(mapped).toBeInstanceOf(AcmeError);
    expect({ retryable: mapped.retryable, code: mapped.code, stage: mapped.stage }).toEqual({
      retryable,
      code,
      stage: 'issue',
    });
    expect(mapped.message).toMatch(/^ACME new order for a\.test failed: /);
    expect(mapped.message).toMatch(message);
  });

  it('passes RotatorErrors through unchanged', () => {
    const original = new DnsChallengeError('x', { retryable: true });
    expect(toAcmeError(original, 'challenge', 'a.test', ctx(p('unauthorized')))).toBe(original);
  });

  it('keeps an AxiosError’s request (signed bodies) out of the cause', () => {
    const axiosLike = Object.assign(new Error('socket hang up'), {
      isAxiosError: true,
      code: 'ECONNRESET',
      config: { data: 'SIGNED-JWS-BODY' },
    });
    const mapped = toAcmeError(axiosLike, 'finalize', 'a.test', ctx());
    expect(mapped).toMatchObject({ retryable: true, code: 'ECONNRESET' });
    expect(JSON.stringify(mapped.cause, Object.getOwnPropertyNames(mapped.cause as object))).not.toContain(
      'SIGNED-JWS-BODY',
    );
  });
});
