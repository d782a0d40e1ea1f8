#!/usr/bin/env node
/**
 * One warm Function Compute instance, as FC 3.0's nodejs20 runtime keeps one: `require` the code package's index.js
 * once, then run invocations one at a time, each `handler(eventBuffer, context)`; module-level state survives
 * between them. Spawned by sandbox/emulator/fc-instance.ts with an IPC channel, the only way invocations (and the
 * role's temporary credentials in their context) reach it: nothing is written to a file.
 * Usage (by the emulator only): node sandbox/fc-instance-runtime.cjs <bundle.js>
 * Each invocation message is `{ marker, event: <base64>, context: <the context file's fields> }`; the answer is
 * `{ marker, outcome: <JSON text> }`, sent after `marker` has been written to stdout and stderr, so the emulator
 * knows where the invocation's output ends on each stream.
 */
'use strict';
const { resolve } = require('node:path');
const { fcContext, failure, returnedLine, threwLine } = require('./fc-local-runtime.cjs');

// An instance outlives no emulator: when the channel goes (the emulator's process ended), so does the instance.
process.on('disconnect', () => process.exit(0));

let handler;
try {
  ({ handler } = require(resolve(process.argv[2])));
} catch (err) {
  // As the one-shot runner: a bundle that does not load is a process that exits without a result.
  process.stderr.write(threwLine(err));
  process.exit(1);
}

process.on('message', (msg) => {
  void invoke(msg);
});

async function invoke({ marker, event, context }) {
  let result;
  try {
    result = await handler(Buffer.from(event, 'base64'), fcContext(context));
  } catch (err) {
    process.stderr.write(threwLine(err));
    answer(marker, JSON.stringify(failure(err)));
    return;
  }
  let outcome;
  try {
    outcome = JSON.stringify({ ok: true, result: result === undefined ? null : result });
  } catch (err) {
    // A result JSON cannot carry ends the process, as it ends the one-shot runner: no result, ProcessExited.
    process.stderr.write(threwLine(err));
    process.exit(1);
  }
  process.stderr.write(returnedLine(result));
  answer(marker, outcome);
}

function answer(marker, outcome) {
  process.stdout.write(marker);
  process.stderr.write(marker);
  process.send({ marker, outcome });
}
