import { stat } from 'node:fs/promises';
import { createAccountKeyFile, outFileError } from '../account-key-file.js';
import { configOption, loadConfigOption } from '../common-options.js';
import { defineCommand } from '../command.js';

export const accountCreateCommand = defineCommand({
  path: ['account', 'create'],
  summary: 'Create an ACME account key, register it with the configured CA, and write the key to KEYFILE (mode 0600).',
  details: 'An existing KEYFILE is never overwritten. The key is never written to stdout.',
  options: {
    config: configOption,
    out: { type: 'string', short: 'o', value: 'KEYFILE', required: true, description: 'where to write the key' },
  },
  async run(values, io) {
    // Checked before the configuration is read, so the mistake is reported first; `open(wx)` still guards the race.
    const exists = await stat(values.out).then(
      () => true,
      () => false,
    );
    if (exists) throw outFileError(values.out, 'EEXIST');
    const config = await loadConfigOption(values.config, io.env, { creatingAccountKey: true });
    const { accountUrl } = await createAccountKeyFile(config, values.out);
    io.stdout.write(
      `registered ${accountUrl}\nwrote the account key to ${values.out} (mode 0600); reference it as acme.accountKey: {file: …} or put it in a secret environment variable\n`,
    );
    return 0;
  },
});
