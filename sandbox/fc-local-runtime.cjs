#!/usr/bin/env node
/**
 * Calls a bundled handler the way Function Compute 3.0's nodejs20 runtime does: `require` the code package's
 * index.js, then `handler(eventBuffer, context)`, with the role's temporary credentials in `context.credentials`.
 * Usage: node sandbox/fc-local-runtime.cjs <bundle.js> <event.json> <context.json> [<result.json>]
 * The context file holds credentials: the caller creates it with mode 0600 and removes it afterwards.
 * With <result.json>, the outcome is also written there as `{"ok":true,"result":…}` or
 * `{"ok":false,"errorType":…,"errorMessage":…}`, for callers that need it exactly (the emulator's FC endpoint).
 */
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { randomUUID } = require('node:crypto');

async function main() {
  const [bundle, eventFile, contextFile, resultFile] = process.argv.slice(2);
  if (!bundle || !eventFile || !contextFile) {
    process.stderr.write('usage: fc-local-runtime.cjs <bundle.js> <event.json> <context.json> [<result.json>]\n');
    return 2;
  }
  const { handler } = require(resolve(bundle));
  const event = readFileSync(eventFile);
  const base = JSON.parse(readFileSync(contextFile, 'utf8'));
  const context = {
    requestId: base.requestId || randomUUID(),
    region: base.region,
    accountId: base.accountId,
    credentials: base.credentials,
    function: { name: base.functionName, handler: 'index.handler', memory: base.memory || 512, timeout: base.timeout },
    service: { name: '', logProject: '', logStore: '', qualifier: base.qualifier || 'LATEST', versionId: '' },
    logger: console,
  };
  let result;
  try {
    result = await handler(event, context);
  } catch (err) {
    if (resultFile) {
      const errorType = (err && err.name) || 'Error';
      const errorMessage = (err && err.message) || String(err);
      writeFileSync(resultFile, JSON.stringify({ ok: false, errorType, errorMessage }));
    }
    throw err;
  }
  if (resultFile) writeFileSync(resultFile, JSON.stringify({ ok: true, result: result === undefined ? null : result }));
  // FC records the return value as the invocation result; the sandbox shows it on stderr to keep stdout JSON lines.
  process.stderr.write(`fc-local-runtime: handler returned ${JSON.stringify(result)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`fc-local-runtime: the handler threw ${err?.name}: ${err?.message}\n`);
    process.exitCode = 1;
  },
);
