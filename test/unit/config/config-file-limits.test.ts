import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../shared/config/load-config.js';
import { ConfigError } from '../../../shared/errors.js';

/**
 * The configuration file is operator input that may be wrong in every way: the wrong file, a huge file, hostile
 * YAML. Each is a clear configuration error with a line where there is one, the work done is bounded by the size
 * of the file, and nothing of a file that is not a configuration is printed back.
 */

const valid = `acme:
  directory: letsencrypt-staging
  termsOfServiceAgreed: true
defaults:
  region: cn-hangzhou
certificates:
  - name: www
    domains: [example.com]
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rotator-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function issues(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('the configuration was accepted');
}
const parse = (text: string) => issues(() => parseConfig(text, 'rotator.yaml', {}));

describe('YAML alias expansion', () => {
  it('an alias bomb is a configuration error naming the line of the alias that crosses the limit', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${prev}`)}]`);
    }
    const found = await parse(`${valid}bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^rotator\.yaml:15: more than 200000 values after expanding YAML aliases/);
  });

  it('aliases that repeat a block are fine', async () => {
    const text = valid
      .replace('  region: cn-hangzhou', '  region: &region cn-hangzhou')
      .concat('  - name: api\n    domains: [api.example.com]\n    region: *region\n');
    const c = await parseConfig(text, 'rotator.yaml', {});
    expect(c.certificates.map((x) => x.region)).toEqual(['cn-hangzhou', 'cn-hangzhou']);
  });

  const cases: { name: string; text: string; expected: RegExp }[] = [
    {
      name: 'an alias to no anchor',
      text: `${valid}x: *nowhere\n`,
      expected: /^rotator\.yaml:9: alias \*nowhere has no anchor/,
    },
    {
      name: 'an alias inside its own anchor',
      text: `${valid}x: &loop [1, *loop]\n`,
      expected: /^rotator\.yaml:9: alias \*loop refers to the block that contains it/,
    },
    {
      name: 'nesting deeper than any configuration',
      text: `${valid}x: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      expected: /^rotator\.yaml:9: nested more than 64 levels deep/,
    },
    {
      name: 'nesting deep enough to exhaust the parser',
      text: `${valid}x: ${'['.repeat(200_000)}\n`,
      expected: /^rotator\.yaml:9: YAML is nested too deeply to read$/,
    },
    {
      name: 'a duplicate key, with its line',
      text: valid.replace('  - name: www\n', '  - name: www\n    name: api\n'),
      expected: /^rotator\.yaml:8: duplicate key "name"$/,
    },
    {
      name: 'a collection as a key',
      text: `${valid}? [a, b]\n: 1\n`,
      expected: /^rotator\.yaml:9: a key must be a plain name/,
    },
  ];
  for (const c of cases) {
    it(`${c.name} is a configuration error with the line`, async () => {
      const found = await parse(c.text);
      expect(found.join('\n')).toMatch(c.expected);
    });
  }
});

describe('the amount of work and output is bounded by the file', () => {
  it('lists the first 20 problems and counts the rest', async () => {
    const entries = Array.from({ length: 5000 }, (_, i) => `  - {name: c${i}, domains: ["bad_${i}"]}`).join('\n');
    const found = await parse(`${valid}${entries}\n`);
    expect(found).toHaveLength(21);
    expect(found[0]).toMatch(/^rotator\.yaml:9: certificates\[1\]\.domains\[0\]: not a DNS name/);
    expect(found[20]).toBe('… and 4980 more problems');
  });

  it('lists at most 10 unknown fields and counts the rest', async () => {
    const keys = Array.from({ length: 30_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const found = await parse(`${valid}${keys}\n`);
    expect(found).toEqual([
      'rotator.yaml:1: (top level): unknown field(s): k0, k1, k2, k3, k4, k5, k6, k7, k8, k9 and 29990 more',
    ]);
  });

  it('a hostile file stops being counted after 1000 problems', async () => {
    const found = await parse(`${valid}${Array.from({ length: 3000 }, () => 'x: *nowhere').join('\n')}\n`);
    expect(found).toHaveLength(21);
    expect(found[20]).toBe('… and at least 980 more problems');
  });

  it('inline configuration text over 1 MiB is refused before parsing', async () => {
    const text = `${valid}# ${'x'.repeat(1024 * 1024)}\n`;
    expect(await parse(text)).toEqual([`rotator.yaml: is ${Buffer.byteLength(text)} bytes; the limit is 1 MiB`]);
  });

  it('a configuration file over 1 MiB is refused without being read', async () => {
    const file = join(dir, 'huge.yaml');
    await writeFile(file, Buffer.alloc(3 * 1024 * 1024, '#'));
    expect(await issues(() => loadConfig({ file }, {}))).toEqual([
      `${file}: is ${3 * 1024 * 1024} bytes; the limit is 1 MiB`,
    ]);
  });
});

describe('the wrong file passed as the configuration', () => {
  const kinds: { name: string; path: () => string; expected: string }[] = [
    {
      name: 'a FIFO (must not hang)',
      path: () => {
        const path = join(dir, `fifo-${randomBytes(4).toString('hex')}`);
        execFileSync('mkfifo', [path]);
        return path;
      },
      expected: 'is a FIFO (named pipe), not a regular file',
    },
    { name: 'a directory', path: () => dir, expected: 'is a directory, not a regular file' },
    { name: 'an endless device', path: () => '/dev/zero', expected: 'is a character device, not a regular file' },
    { name: 'a missing file', path: () => join(dir, 'missing.yaml'), expected: 'cannot be read (ENOENT)' },
  ];
  for (const kind of kinds) {
    it(`${kind.name} is refused by what it is`, async () => {
      const file = kind.path();
      expect(await issues(() => loadConfig({ file }, {}))).toEqual([`${file}: ${kind.expected}`]);
    }, 10_000);
  }

  // Marker strings stand for what such files hold: none of it may come back in a message.
  const marker = () => `Zq${randomBytes(6).toString('hex')}`;
  const foreign: { name: string; text: (m: string) => string; expected: RegExp }[] = [
    {
      name: 'a passwd file',
      text: (m) => `root:x:0:0:root:/root:/bin/bash\n${m}:x:1000:1000:${m}:/home/${m}:/bin/sh\n`,
      expected: /not a rotator configuration: the top level is a single value/,
    },
    {
      name: 'a passwd file whose fields contain ": "',
      text: (m) => `root:x:0:0:root: /root:/bin/bash\n${m}:x:1000:1000:${m}: /home/${m}:/bin/sh\n`,
      expected: /not a rotator configuration: none of its 2 top-level key\(s\) is one of acme, /,
    },
    {
      name: 'a Kubernetes manifest',
      text: (m) => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${m}}\ndata: {${m}: ${m}}\n`,
      expected: /not a rotator configuration: none of its 4 top-level key\(s\) is one of acme, /,
    },
    {
      name: 'a list',
      text: (m) => `- ${m}\n- ${m}\n`,
      expected: /not a rotator configuration: the top level is a list/,
    },
    {
      name: 'an empty file',
      text: () => '# nothing here\n',
      expected: /not a rotator configuration: the file is empty/,
    },
  ];
  for (const f of foreign) {
    it(`${f.name} is refused as a whole, without echoing its content`, async () => {
      const m = marker();
      const file = join(dir, `foreign-${m}`);
      await writeFile(file, f.text(m));
      const found = await issues(() => loadConfig({ file }, {}));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(f.expected);
      expect(found[0]?.replace(file, '')).not.toContain(m);
    });
  }

  it('unknown fields that do not look like field names are counted, not shown', async () => {
    const m = marker();
    const found = await parse(`${valid}"${m}: x:1000": 1\n"/home/${m}": 2\nextra: 3\n`);
    expect(found).toEqual(['rotator.yaml:1: (top level): unknown field(s): extra and 2 more']);
  });
});
