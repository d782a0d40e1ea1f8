/**
 * Function Compute 3.0 hands a built-in Node runtime the event as a Buffer. One function serves the timer trigger,
 * the HTTP trigger and direct invocations (the CLI, a future fan-out), told apart by shape.
 */
export interface TimerEvent {
  kind: 'timer';
  triggerTime: string;
  triggerName: string;
  /** The trigger's configured payload, verbatim. */
  payload: string;
}

export interface HttpEvent {
  kind: 'http';
  method: string;
  path: string;
  /** Header names lower-cased; FC delivers them as the client sent them. */
  headers: Record<string, string>;
  query: Record<string, string>;
  /** Decoded body text. */
  body: string;
  requestId: string | undefined;
  sourceIp: string | undefined;
}

export interface InvokeEvent {
  kind: 'invoke';
  payload: unknown;
}

export type FcEvent = TimerEvent | HttpEvent | InvokeEvent;

/** The event itself is unusable. `http` says whether it was an HTTP trigger's event, which gets a 400 answer. */
export class EventParseError extends Error {
  override name = 'EventParseError';
  constructor(
    message: string,
    readonly http = false,
  ) {
    super(message);
  }
}

/**
 * A direct invocation without a payload (the console's "invoke" button, `s invoke` with no event) is an empty
 * Buffer: it runs everything, as `{}` does. Anything else must be a JSON object: `null`, a number or an array is
 * a caller's mistake, and guessing "run everything" for it would order certificates nobody asked for.
 */
export function parseFcEvent(raw: unknown): FcEvent {
  if (raw === undefined) return { kind: 'invoke', payload: {} };
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  let value: unknown = raw;
  if (text !== undefined) {
    if (text.trim() === '') return { kind: 'invoke', payload: {} };
    try {
      value = JSON.parse(text);
    } catch {
      throw new EventParseError('the event is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new EventParseError(`the event must be a JSON object, not ${describeJson(value)}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.triggerTime === 'string') {
    return {
      kind: 'timer',
      triggerTime: o.triggerTime,
      triggerName: typeof o.triggerName === 'string' ? o.triggerName : '',
      payload: typeof o.payload === 'string' ? o.payload : '',
    };
  }
  if (typeof o.version === 'string' && o.requestContext && typeof o.requestContext === 'object') {
    const ctx = o.requestContext as {
      http?: { method?: string; path?: string; sourceIp?: string };
      requestId?: string;
    };
    // FC always sends the body as a string (base64 for binary); anything else was not built by FC's gateway and
    // must not pass as "no body", which would mean "run everything".
    if (o.body !== undefined && o.body !== null && typeof o.body !== 'string') {
      throw new EventParseError(`the HTTP event's body must be a string, not ${describeJson(o.body)}`, true);
    }
    const body = o.body ?? '';
    return {
      kind: 'http',
      method: String(ctx.http?.method ?? 'GET').toUpperCase(),
      path: String(ctx.http?.path ?? o.rawPath ?? '/'),
      headers: lowerKeys(o.headers),
      query: lowerKeys(o.queryParameters, false),
      body: o.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body,
      requestId: ctx.requestId,
      sourceIp: ctx.http?.sourceIp,
    };
  }
  return { kind: 'invoke', payload: value };
}

/** The kind of a JSON value, for messages: never the value, which may be anything a caller sent. */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function lowerKeys(value: unknown, lower = true): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [lower ? k.toLowerCase() : k, String(v)]),
  );
}
