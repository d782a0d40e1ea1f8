import type { Command } from '../command.js';
import { accountCreateCommand } from './account-create.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { triggerCommand } from './trigger.js';
import { validateCommand } from './validate.js';

/** Every command, in the order `--help` lists them. A new command is a module here and one line below. */
export const COMMANDS: readonly Command[] = [
  planCommand,
  runCommand,
  statusCommand,
  triggerCommand,
  validateCommand,
  accountCreateCommand,
];
