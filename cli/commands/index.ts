import type { Command } from '../command.js';
import { accountCreateCommand } from './account-create.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

/** Every command, in the order `--help` lists them. A new command is a module here and one line below. */
export const COMMANDS: readonly Command[] = [runCommand, validateCommand, accountCreateCommand];
