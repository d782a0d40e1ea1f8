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

export class EventParseError extends Error {
  override name = 'EventParseError';
}

export function parseFcEvent(raw: unknown): FcEvent {
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
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invoke', payload: value };
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
    const body = typeof o.body === 'string' ? o.body : '';
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

function lowerKeys(value: unknown, lower = true): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [lower ? k.toLowerCase() : k, String(v)]),
  );
}
