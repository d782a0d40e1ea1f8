/**
 * The command line's own rules, in-process: help, version, and usage errors (exit 2 with the command's usage, never
 * "invalid configuration"). Nothing here reaches a cloud API: every case stops before credentials are read.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../cli/io.js';
import { main } from '../../../cli/main.js';

let dir: string;
let configFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-unit-'));
  configFile = join(dir, 'rotator.yaml');
  await writeFile(
    configFile,
    [
      'acme: {directory: letsencrypt-staging, email: ops@example.com, termsOfServiceAgreed: true}',
      'certificates:',
      '  - {name: shop, domains: [example.com], region: cn-hangzhou}',
      '  - {name: api, domains: [api.example.com], region: cn-hangzhou}',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** No credentials in the environment: a case that reaches them fails with "no cloud credentials", not a usage error. */
async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    signals: new EventEmitter(),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('--version and --help', () => {
  it('--version prints the version from package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(await cli('--version')).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
  it('--help lists every command; no command at all is a usage error', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const c of ['run', 'validate', 'account create']) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^slb-cert-rotator: a command is required\n\nUsage: slb-cert-rotator <command>/);
  });
  for (const path of [['run'], ['validate'], ['account', 'create']]) {
    it(`${path.join(' ')} --help prints its usage and options, exit 0, even beside a bad option`, async () => {
      for (const argv of [
        [...path, '--help'],
        [...path, '-h'],
        [...path, '--nonsense', '--help'],
        ['help', ...path],
      ]) {
        const r = await cli(...argv);
        expect(r, argv.join(' ')).toMatchObject({ code: 0, stderr: '' });
        expect(r.stdout).toMatch(new RegExp(`^Usage: slb-cert-rotator ${path.join(' ')} --config FILE`));
        expect(r.stdout).toMatch(/^ {2}-c, --config FILE +the configuration file/m);
        expect(r.stdout).toMatch(/^ {2}-h, --help +show this help/m);
      }
    });
  }
  it('account alone is a usage error listing its subcommands; account --help lists them, exit 0', async () => {
    const bare = await cli('account');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/account: a subcommand is required[\s\S]*account create/);
    const help = await cli('account', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}account create /m);
    expect((await cli('account', 'delete')).stderr).toMatch(/unknown command "account delete"/);
  });
});

describe('usage errors: exit 2, the message, the command usage, and never "invalid configuration"', () => {
  const cases: { name: string; argv: () => string[]; message: RegExp; usage: string }[] = [
    { name: 'unknown command', argv: () => ['rotate'], message: /unknown command "rotate"/, usage: '<command>' },
    { name: 'missing --config', argv: () => ['run'], message: /run: --config FILE is required/, usage: 'run' },
    {
      name: 'empty --config',
      argv: () => ['validate', '--config='],
      message: /validate: --config FILE is required/,
      usage: 'validate',
    },
    {
      name: 'a --config file that does not exist',
      argv: () => ['validate', '--config', join(dir, 'missing.yaml')],
      message: /validate: --config \S+missing\.yaml: cannot be read \(ENOENT\)/,
      usage: 'validate',
    },
    {
      name: 'an unknown option',
      argv: () => ['run', '--config', configFile, '--dry-runn'],
      message: /run: Unknown option '--dry-runn'/,
      usage: 'run',
    },
    {
      name: 'a stray argument',
      argv: () => ['validate', '--config', configFile, 'extra'],
      message: /validate: .*'extra'/,
      usage: 'validate',
    },
    {
      name: 'a bad --log-level, listing the accepted values',
      argv: () => ['run', '--config', configFile, '--log-level', 'loud'],
      message: /run: --log-level "loud": use one of debug, info, warn, error/,
      usage: 'run',
    },
    {
      name: 'an unknown --certificate, named with the configured ones (before credentials are needed)',
      argv: () => ['run', '--config', configFile, '--certificate', 'shop', '--certificate', 'nope'],
      message: /run: --certificate: unknown name\(s\) "nope"; configured: shop, api/,
      usage: 'run',
    },
    {
      name: 'status without --config (and without --link)',
      argv: () => ['status'],
      message: /status: --config FILE is required \(only --link URL reads no configuration\)/,
      usage: 'status',
    },
    {
      name: 'status --link without the operator token',
      argv: () => ['status', '--link', 'https://example.fcapp.run'],
      message: /status: --link needs the operator's secret in ROTATOR_OPERATOR_TOKEN/,
      usage: 'status',
    },
    {
      name: 'account create without --out',
      argv: () => ['account', 'create', '--config', configFile],
      message: /account create: --out KEYFILE is required/,
      usage: 'account create',
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await cli(...c.argv());
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).toContain(`Usage: slb-cert-rotator ${c.usage}`);
      expect(r.stderr).not.toMatch(/invalid configuration/);
    });
  }

  it('account create --out FILE that exists: a usage error, the file untouched, before the config is read', async () => {
    const keyFile = join(dir, 'existing.pem');
    await writeFile(keyFile, 'keep me');
    // The configuration does not exist either: the existing output is reported first.
    const r = await cli('account', 'create', '--config', join(dir, 'missing.yaml'), '--out', keyFile);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /account create: --out \S+existing\.pem: the file exists; an account key is never overwritten/,
    );
    expect(r.stderr).toContain('Usage: slb-cert-rotator account create');
    expect(await readFile(keyFile, 'utf8')).toBe('keep me');
  });
});

describe('what is not a usage error', () => {
  it('status --link needs no configuration: it prints a signed link and reads nothing', async () => {
    const token = 'operator-token-0123456789abcdef0123456789';
    let stdout = '';
    const io: CliIo = {
      stdout: { write: (t: string) => (stdout += t), isTTY: false },
      stderr: { write: () => true },
      env: { ROTATOR_OPERATOR_TOKEN: token },
      signals: new EventEmitter(),
    };
    expect(await main(['status', '--link', 'https://example.fcapp.run', '--link-ttl', '600'], io)).toBe(0);
    const link = new URL(stdout.trim());
    expect(link.origin).toBe('https://example.fcapp.run');
    expect(link.pathname).toBe('/status');
    expect(stdout).not.toContain(token);
  });

  it('an invalid configuration file is reported as such, with its line, exit 2, without the usage', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, (await readFile(configFile, 'utf8')).replace('region: cn-hangzhou}', 'region: 7}'));
    const r = await cli('validate', '--config', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^invalid configuration:\n {2}- \S+bad\.yaml:3: certificates\[0\]\.region/);
    expect(r.stderr).not.toContain('Usage:');
  });
  it('a valid command line with no credentials gets as far as the credentials (exit 2, naming the variables)', async () => {
    const r = await cli('run', '--config', configFile, '--certificate', 'shop', '--log-level', 'DEBUG');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \(credentials\): no cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and /);
  });
  it('validate with a good file', async () => {
    const r = await cli('validate', '-c', configFile);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/valid; 2 certificate\(s\)/);
  });
});
