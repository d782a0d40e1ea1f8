import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStatusPage, STATUS_PAGE_CSP } from '../../shared/status/page.js';
import {
  assertChromiumInstalled,
  type ChromiumRun,
  chromiumInstalled,
  pngSize,
  renderInChromium,
} from './headless-chromium.js';
import { seededReport } from './seeded-report.js';

/** Kept after the run (and ignored by git) so a person can look at what the browser drew. */
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');
/** Two cores shared with other suites: a cold chromium start has taken 30 s here. */
const CHROMIUM_TIMEOUT_MS = 150_000;

const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

let workDir: string;
const runs: Partial<Record<keyof typeof VIEWPORTS, ChromiumRun>> = {};
const shots: Partial<Record<keyof typeof VIEWPORTS, string>> = {};

beforeAll(
  async () => {
    // Without the browser every test below fails, saying how to install it. Throwing here instead would make
    // vitest report them as skipped, and a skipped browser test reads like a pass.
    if (!chromiumInstalled()) return;
    workDir = await mkdtemp(join(tmpdir(), 'status-page-'));
    await mkdir(ARTIFACTS, { recursive: true });
    const html = renderStatusPage(seededReport(), { title: 'Certificate status (sandbox)' });
    const page = join(workDir, 'status.html');
    await writeFile(page, html);
    await writeFile(join(ARTIFACTS, 'status-page.html'), html);
    // One browser at a time: two at once would only fight over the same two cores.
    for (const [name, size] of Object.entries(VIEWPORTS) as [keyof typeof VIEWPORTS, (typeof VIEWPORTS)['phone']][]) {
      const screenshot = join(ARTIFACTS, `status-page-${name}.png`);
      await rm(screenshot, { force: true });
      runs[name] = await renderInChromium(page, { screenshot, ...size, timeoutMs: CHROMIUM_TIMEOUT_MS });
      shots[name] = screenshot;
    }
  },
  2 * CHROMIUM_TIMEOUT_MS + 30_000,
);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the status page in headless chromium', () => {
  it('shows every certificate with its state label and days left', () => {
    assertChromiumInstalled();
    const dom = runs.phone!.dom;
    const report = seededReport();
    const rows = dom.split('<tr class="row ').slice(1);
    expect(rows).toHaveLength(report.certificates.length + report.watch.length);
    for (const c of report.certificates) {
      const row = rows.find((r) => r.includes(`<strong>${c.certificate}</strong>`));
      expect(row, c.certificate).toBeDefined();
      expect(row, c.certificate).toContain(`badge s-${c.state}`);
      const days =
        c.daysLeft === null
          ? '—'
          : c.daysLeft < 0
            ? `expired ${Math.abs(c.daysLeft).toFixed(1)} days ago`
            : `${c.daysLeft < 10 ? c.daysLeft.toFixed(1) : Math.floor(c.daysLeft)} days left`;
      expect(row, c.certificate).toContain(`<div class="days">${days}</div>`);
      for (const t of c.targets) expect(row, t.target).toContain(t.target);
    }
    for (const label of ['Expired', 'Overdue', 'Drift', 'Unreachable', 'Due', 'OK', 'Expiring', 'Invalid']) {
      expect(dom, label).toMatch(new RegExp(`<span class="mark" aria-hidden="true">[^<]+</span> ${label}</span>`));
    }
    for (const w of report.watch) expect(dom, w.endpoint).toContain(`<code>${w.endpoint}</code>`);
    expect(dom).toContain('2026-11-30 12:00 UTC');
    expect(runs.desktop!.dom).toBe(dom);
  });

  it('keeps its Content-Security-Policy and refers to nothing outside itself', () => {
    assertChromiumInstalled();
    const dom = runs.phone!.dom;
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(dom)?.[1];
    expect(csp?.replace(/&#39;/g, "'")).toBe(STATUS_PAGE_CSP);
    expect(dom).not.toMatch(/\b(src|href|action|srcset|poster|data)=|url\(|@import|https?:|\/\/[a-z0-9]/i);
  });

  it('makes no network request (chromium net log)', () => {
    assertChromiumInstalled();
    for (const run of Object.values(runs)) {
      expect(run.loggedEvents).toBeGreaterThan(0);
      expect(run.pageRequests).toEqual([]);
    }
  });

  it('draws a phone-sized and a desktop-sized screenshot', async () => {
    assertChromiumInstalled();
    for (const [name, size] of Object.entries(VIEWPORTS) as [
      keyof typeof VIEWPORTS,
      { width: number; height: number },
    ][]) {
      const file = shots[name]!;
      expect(await pngSize(file)).toEqual(size);
      // A blank page compresses to almost nothing; a drawn table does not.
      expect((await stat(file)).size).toBeGreaterThan(20_000);
    }
  });
});
