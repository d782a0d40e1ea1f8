/**
 * An API error as Alibaba Cloud POP returns it. Handlers throw these; the RPC server turns them into the
 * `{RequestId, HostId, Code, Message, Recommend}` body. Seeding helpers throw them too, so tests can assert `.code`.
 *
 * Messages must never contain a private key, an access key secret or a security token: they go to clients verbatim.
 */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

export function missingParameter(name: string): ApiError {
  // The real wording, seen in POP error bodies.
  return new ApiError(
    'MissingParameter',
    `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
  );
}

export function invalidParameter(name: string, detail?: string): ApiError {
  return new ApiError('InvalidParameter', detail ?? `The specified parameter "${name}" is not valid.`);
}

/**
 * Default messages for codes a test injects without a message. Wording follows the SLB doc error table where it has
 * one; the rest are plausible paraphrases.
 */
export const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  Throttling: 'Request was denied due to request throttling.',
  OperationBusy: 'The operation is too frequent, please wait a moment and try again.',
  ServiceIsConfiguring: 'The specified service is configuring, please try again later.',
  'BackendServer.configuring': 'A previous configuration of the load balancer is pending, please try again later.',
  SystemBusy: 'System is busy, please try again later.',
  InternalError: 'The request processing has failed due to some unknown error.',
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  'Forbidden.RAM': 'User not authorized to operate on the specified resource, or this API does not support RAM.',
  Forbidden: 'User not authorized to operate on the specified resource.',
  OverQuota: 'The Total is over the quota.',
};

/** HTTP status for codes a test injects without a status: the SLB doc table, else 400. */
export const DEFAULT_STATUS: Readonly<Record<string, number>> = {
  'BackendServer.configuring': 409,
  SystemBusy: 449,
  'Forbidden.RAM': 403,
  Forbidden: 403,
  InternalError: 500,
  ServiceUnavailable: 503,
};
