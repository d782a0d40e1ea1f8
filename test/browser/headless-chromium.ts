import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's package; the test runs the browser people actually have, not a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';

export const INSTALL_HINT =
  `headless chromium is required for the status page test and ${CHROMIUM} is missing: install it with ` +
  '`apt-get update && apt-get install -y --no-install-recommends chromium` (as root), or run `bash .ci/run`, ' +
  'which installs it';

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

export function assertChromiumInstalled(): void {
  if (!chromiumInstalled()) throw new Error(INSTALL_HINT);
}

export interface ChromiumRun {
  /** `--dump-dom` output: the document after parsing and rendering. */
  dom: string;
  /** Requests the page itself started (not the browser's own background traffic), from chromium's net log. */
  pageRequests: string[];
  /** How many events the net log holds, so a log that recorded nothing cannot pass for a clean page. */
  loggedEvents: number;
}

interface NetLogEvent {
  type: number;
  params?: { url?: string; initiator?: string };
}

/**
 * The browser's own requests (update checks, time sync) carry the initiator "not an origin"; anything the page
 * asks for carries the page's origin, which for a file:// page is "null".
 */
function requestsIn(netLog: string): { page: string[]; events: number } {
  let parsed: { constants: { logEventTypes: Record<string, number> }; events: NetLogEvent[] };
  try {
    parsed = JSON.parse(netLog);
  } catch {
    // A browser that is stopped while writing leaves the event list open.
    parsed = JSON.parse(`${netLog.replace(/,?\s*$/, '')}]}`);
  }
  const startJob = parsed.constants.logEventTypes.URL_REQUEST_START_JOB;
  const jobs = parsed.events.filter((e) => e.type === startJob && e.params?.url !== undefined);
  return {
    page: jobs.filter((e) => e.params?.initiator !== 'not an origin').map((e) => String(e.params?.url)),
    events: parsed.events.length,
  };
}

/**
 * Loads a file in headless chromium with a fresh profile, saves a screenshot at the given window size and returns
 * the rendered DOM and the page's network requests. Host names resolve to nothing, so neither the page nor the
 * browser's background services can reach a network; attempts still show in the net log.
 */
export async function renderInChromium(
  file: string,
  options: { screenshot: string; width: number; height: number; timeoutMs: number },
): Promise<ChromiumRun> {
  assertChromiumInstalled();
  const scratch = await mkdtemp(join(tmpdir(), 'status-page-chromium-'));
  try {
    const netLog = join(scratch, 'net-log.json');
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      `--user-data-dir=${join(scratch, 'profile')}`,
      `--log-net-log=${netLog}`,
      `--window-size=${options.width},${options.height}`,
      `--screenshot=${options.screenshot}`,
      '--dump-dom',
      `file://${file}`,
    ];
    const dom = await new Promise<string>((resolve, reject) => {
      execFile(
        CHROMIUM,
        args,
        { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (err) {
            const tail = stderr
              .split('\n')
              .filter((l) => l !== '' && !l.includes('dbus'))
              .slice(-5)
              .join('\n');
            reject(new Error(`chromium failed (${err.message.split('\n')[0]}): ${tail}`));
          } else resolve(stdout);
        },
      );
    });
    const requests = requestsIn(await readFile(netLog, 'utf8'));
    return { dom, pageRequests: requests.page, loggedEvents: requests.events };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export async function pngSize(file: string): Promise<{ width: number; height: number }> {
  const head = (await readFile(file)).subarray(0, 24);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (head.length < 24 || !head.subarray(0, 8).equals(signature) || head.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`${file} is not a PNG`);
  }
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
