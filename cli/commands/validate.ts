import { configOption, loadConfigOption } from '../common-options.js';
import { defineCommand } from '../command.js';

export const validateCommand = defineCommand({
  path: ['validate'],
  summary: 'Check the configuration file and the secrets it references; changes nothing.',
  details: 'Exit code 0 when valid, 2 otherwise (every problem is listed with its line and field).',
  options: { config: configOption },
  async run(values, io) {
    const config = await loadConfigOption(values.config, io.env);
    io.stdout.write(
      `${values.config}: valid; ${config.certificates.length} certificate(s), CA ${config.acme.directoryUrl}${config.acme.production ? ' (production)' : ' (test)'}\n`,
    );
    return 0;
  },
});
