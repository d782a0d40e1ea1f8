import { BadRequestError } from '../fc/run-request.js';

export type StatusFormat = 'html' | 'json';

/**
 * Which representation of `/status` the caller wants. `?format=` wins; otherwise the page when the Accept header
 * ranks text/html above application/json. A browser sends `text/html,…,*\/*;q=0.8` and gets the page; curl sends
 * `*\/*` and gets JSON: only an explicit mention of HTML counts, never a wildcard, so scripts keep getting JSON.
 */
export function statusFormat(accept: string | undefined, format: string | undefined): StatusFormat {
  if (format !== undefined) {
    const f = format.trim().toLowerCase();
    if (f === 'html' || f === 'json') return f;
    throw new BadRequestError('query parameter "format" must be html or json');
  }
  if (!accept) return 'json';
  const html = Math.max(qualityOf(accept, 'text/html'), qualityOf(accept, 'application/xhtml+xml'));
  const json = qualityOf(accept, 'application/json');
  return html > 0 && html > json ? 'html' : 'json';
}

/** The q-value given to exactly this media type (0 when it is not named). */
function qualityOf(accept: string, type: string): number {
  let best = 0;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (range !== type) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/.exec(p);
      if (m) q = Math.min(1, Math.max(0, Number(m[1]) || 0));
    }
    best = Math.max(best, q);
  }
  return best;
}
