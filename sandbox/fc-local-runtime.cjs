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

/** FC's context from the fields the caller passes (the context file's, or an instance's invocation message). */
function fcContext(base) {
  return {
    requestId: base.requestId || randomUUID(),
    region: base.region,
    accountId: base.accountId,
    credentials: base.credentials,
    function: { name: base.functionName, handler: 'index.handler', memory: base.memory || 512, timeout: base.timeout },
    service: { name: '', logProject: '', logStore: '', qualifier: base.qualifier || 'LATEST', versionId: '' },
    logger: console,
  };
}

/** A thrown handler error as FC records it. */
function failure(err) {
  return { ok: false, errorType: (err && err.name) || 'Error', errorMessage: (err && err.message) || String(err) };
}

/** The sandbox's stderr lines, so both runtimes log an outcome the same way. */
const returnedLine = (result) => `fc-local-runtime: handler returned ${JSON.stringify(result)}\n`;
const threwLine = (err) => `fc-local-runtime: the handler threw ${err?.name}: ${err?.message}\n`;

async function main() {
  const [bundle, eventFile, contextFile, resultFile] = process.argv.slice(2);
  if (!bundle || !eventFile || !contextFile) {
    process.stderr.write('usage: fc-local-runtime.cjs <bundle.js> <event.json> <context.json> [<result.json>]\n');
    return 2;
  }
  const { handler } = require(resolve(bundle));
  const event = readFileSync(eventFile);
  const context = fcContext(JSON.parse(readFileSync(contextFile, 'utf8')));
  let result;
  try {
    result = await handler(event, context);
  } catch (err) {
    if (resultFile) writeFileSync(resultFile, JSON.stringify(failure(err)));
    throw err;
  }
  if (resultFile) writeFileSync(resultFile, JSON.stringify({ ok: true, result: result === undefined ? null : result }));
  // FC records the return value as the invocation result; the sandbox shows it on stderr to keep stdout JSON lines.
  process.stderr.write(returnedLine(result));
  return 0;
}

module.exports = { fcContext, failure, returnedLine, threwLine };

// sandbox/fc-instance-runtime.cjs requires this file for the helpers above; run as a script, it is the runner.
if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(threwLine(err));
      process.exitCode = 1;
    },
  );
}
