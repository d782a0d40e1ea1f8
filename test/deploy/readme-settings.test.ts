import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/commands/index.js';
import { configSchema } from '../../shared/config/schema.js';
import { FANOUT_FIELDS, FANOUT_PARTITION_FIELDS } from '../../shared/fleet/fanout-record.js';
import { FANOUT_MODES, FANOUT_VARIABLES } from '../../shared/fleet/settings.js';
import { OUTCOME_FIELDS, SUMMARY_FIELDS, TARGET_RESULT_FIELDS } from '../../shared/rotation/outcome.js';
import { settingPaths } from './setting-paths.js';

/**
 * The README documents every setting, stage, record field, code and command that exists, and nothing that does not.
 * The lists come from the code itself (the zod schema, the exported field lists, the command table), or, for values
 * that exist only as TypeScript union types, from the union's source text.
 */

const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const source = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The first table after the line `heading`: each row's first cell, split into its backticked names. */
function firstColumn(heading: string): string[][] {
  const lines = readme.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no line "${heading}"`);
  const rows: string[][] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const cell = line.split('|')[1] ?? '';
    if (/^\s*:?-+:?\s*$/.test(cell)) continue;
    rows.push([...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
  }
  // The header row has no backticks.
  return rows.filter((r) => r.length > 0);
}

/** The string literals of a TypeScript union type alias, e.g. `export type Stage = 'config' | …;`. */
function unionLiterals(path: string, name: string): string[] {
  const m = new RegExp(`export type ${name} =([^;]+);`).exec(source(path));
  if (!m) throw new Error(`${path} has no union type ${name}`);
  const body = (m[1] as string).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return [...body.matchAll(/'([^']+)'/g)].map((x) => x[1] as string);
}

const documented = (heading: string) => firstColumn(heading).flat();

describe('README settings table', () => {
  const schema = settingPaths(configSchema, '');
  const table = documented('### Settings');

  it('walks the whole schema', () => {
    expect(schema).toContain('slb.certificateQuota');
    expect(schema).toContain('certificates[].domainExtensions[].domain');
    expect(schema).toContain('alerts.channels[].type');
    expect(schema).toContain('status.overdueAfterDays');
    expect(schema.length).toBeGreaterThanOrEqual(40);
  });

  it('documents every setting the schema accepts', () => {
    expect(schema.filter((p) => !table.includes(p))).toEqual([]);
  });

  it('documents no setting the schema does not accept', () => {
    expect(table.filter((p) => !schema.includes(p))).toEqual([]);
  });

  it('lists each setting once', () => {
    expect(table.filter((p, i) => table.indexOf(p) !== i)).toEqual([]);
  });
});

describe('README stages, record fields and codes', () => {
  it('documents every stage an error can carry, and no other', () => {
    const stages = unionLiterals('shared/errors.ts', 'Stage');
    expect(stages).toContain('preflight');
    expect(stages).toContain('cleanup');
    expect(new Set(documented('### Stages'))).toEqual(new Set(stages));
  });

  it('documents every field of outcome and summary records, and no other', () => {
    const table = documented('## Outcome records');
    // `time` is added to every line by the sink that writes it (shared/log/outcome-sink.ts).
    const fields = new Set<string>([...OUTCOME_FIELDS, ...SUMMARY_FIELDS, 'time']);
    expect([...fields].filter((f) => !table.includes(f))).toEqual([]);
    expect(table.filter((f) => !fields.has(f))).toEqual([]);
  });

  it('documents every field of a target result, and no other', () => {
    const table = documented('Each entry of `targets`:');
    expect(TARGET_RESULT_FIELDS.filter((f) => !table.includes(f))).toEqual([]);
    expect(table.filter((f) => !(TARGET_RESULT_FIELDS as readonly string[]).includes(f))).toEqual([]);
  });

  it('documents every plan decision code', () => {
    const codes = [
      ...unionLiterals('shared/policy/renewal.ts', 'DueCode'),
      ...unionLiterals('shared/policy/renewal.ts', 'NotDueCode'),
      ...unionLiterals('shared/plan/types.ts', 'PlanCode'),
    ];
    expect(codes).toContain('due.resume');
    const table = documented('### Decision codes');
    expect(codes.filter((c) => !table.includes(c))).toEqual([]);
    expect(table.filter((c) => !codes.includes(c))).toEqual([]);
  });

  it('documents every field of the rotation.fanout record and its partitions, and no other', () => {
    const table = documented('### Fan-out records');
    // `time` is added to every line by the writer (shared/fleet/fanout-record.ts).
    const fields = new Set<string>([...FANOUT_FIELDS, ...FANOUT_PARTITION_FIELDS, 'time']);
    expect([...fields].filter((f) => !table.includes(f))).toEqual([]);
    expect(table.filter((f) => !fields.has(f))).toEqual([]);
  });

  it('documents every fan-out variable and mode, and no other fan-out variable', () => {
    const table = documented('### Fan-out');
    expect(table.filter((v) => v.startsWith('ROTATOR_')).sort()).toEqual(Object.values(FANOUT_VARIABLES).sort());
    const start = readme.indexOf('### Fan-out\n');
    const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
    expect(section.length).toBeGreaterThan(100);
    for (const mode of FANOUT_MODES) expect(section).toContain(`\`${mode}\``);
  });

  it('documents every status state', () => {
    const states = [...source('shared/status/types.ts').matchAll(/CERTIFICATE_STATES = \[([^\]]+)\]/g)].flatMap((m) =>
      [...(m[1] as string).matchAll(/'([^']+)'/g)].map((x) => x[1] as string),
    );
    expect(states.length).toBeGreaterThanOrEqual(6);
    const table = documented('### Status');
    expect(states.filter((s) => !table.includes(s))).toEqual([]);
  });
});

describe('README commands', () => {
  const table = documented('### Commands');

  it('documents every CLI command, and no other', () => {
    const commands = COMMANDS.map((c) => c.path.join(' '));
    expect(commands).toContain('account create');
    expect(commands.filter((c) => !table.includes(c))).toEqual([]);
    expect(table.filter((c) => !commands.includes(c))).toEqual([]);
  });

  it("documents every command's options", () => {
    const missing = COMMANDS.flatMap((c) =>
      Object.keys(c.options)
        .filter((o) => !readme.includes(`--${o}`))
        .map((o) => `${c.path.join(' ')} --${o}`),
    );
    expect(missing).toEqual([]);
  });

  it('documents every npm script, and no other', () => {
    const scripts = Object.keys((JSON.parse(source('package.json')) as { scripts: object }).scripts);
    const rows = documented('## Development').map((c) => c.replace(/^npm (run )?/, ''));
    // `prepare` and `prestart` are npm's hooks, run by `npm ci` and `npm start`: documented in words there.
    expect(scripts.filter((s) => !rows.includes(s) && !['prepare', 'prestart'].includes(s))).toEqual([]);
    expect(rows.filter((s) => !scripts.includes(s))).toEqual([]);
  });
});
