/**
 * One rotation run in a process of its own, so that its peak memory and its loaded modules are the rotator's alone
 * (the emulator and Pebble's client stay in the benchmark's process). Reads the configuration YAML on stdin, takes
 * endpoints and credentials from the environment, runs through the composition root like the CLI and the functions,
 * and prints one JSON line: {@link ChildResult}.
 */
import { Module } from 'node:module';
import { text } from 'node:stream/consumers';
import { parseConfig } from '../../shared/config/load-config.js';
import { silentLogger } from '../../shared/log/logger.js';
import { composeRotator } from '../../shared/runtime/compose.js';
import { credentialsFromEnvironment } from '../../shared/runtime/credentials.js';

export interface ChildResult {
  /** From just before composing the rotator to the summary, in this process. */
  runMs: number;
  /** process.resourceUsage().maxRSS at the end: kilobytes. */
  maxRssKb: number;
  /** Whether acme-client's module was loaded in this process (the bundle keeps it external to make this visible). */
  acmeClientLoaded: boolean;
  counts: Record<string, number>;
  /** The first few records that were not the expected outcome, for the benchmark's error message. */
  records: { certificate: string; outcome: string; stage?: string; reason: string }[];
  /** Milliseconds spent in each stage, summed over certificates (from the progress listener: a stage lasts until the next one or the record). */
  stageMs: Record<string, number>;
}

async function main(): Promise<void> {
  const config = await parseConfig(await text(process.stdin), 'bench.yaml', process.env);
  const started = performance.now();
  const stageMs: Record<string, number> = {};
  const open = new Map<string, { stage: string; at: number }>();
  const close = (certificate: string, at: number) => {
    const o = open.get(certificate);
    if (o) stageMs[o.stage] = (stageMs[o.stage] ?? 0) + (at - o.at);
    open.delete(certificate);
  };
  const rotator = composeRotator({
    config,
    env: process.env,
    credentials: credentialsFromEnvironment(process.env),
    logger: silentLogger,
    // The outcome record ends the certificate's last stage.
    sink: {
      write: (record) => {
        if (record.event === 'rotation.outcome') close(record.certificate, performance.now());
      },
    },
  });
  const { records, summary } = await rotator.run({
    trigger: 'bench',
    onProgress: ({ certificate, stage }) => {
      const at = performance.now();
      close(certificate, at);
      open.set(certificate, { stage, at });
    },
  });
  const runMs = performance.now() - started;
  const cache = (Module as unknown as { _cache: Record<string, unknown> })._cache;
  const result: ChildResult = {
    runMs,
    maxRssKb: process.resourceUsage().maxRSS,
    acmeClientLoaded: Object.keys(cache).some((path) => /[\\/]node_modules[\\/]acme-client[\\/]/.test(path)),
    counts: summary.counts,
    records: records.map((r) => ({
      certificate: r.certificate,
      outcome: r.outcome,
      ...(r.stage ? { stage: r.stage } : {}),
      reason: r.reason,
    })),
    stageMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// CommonJS bundles have no top-level await.
main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
