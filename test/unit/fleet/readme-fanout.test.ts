import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FANOUT_FIELDS, FANOUT_PARTITION_FIELDS } from '../../../shared/fleet/fanout-record.js';
import { FANOUT_MODES, FANOUT_VARIABLES } from '../../../shared/fleet/settings.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The backticked names in the first column of the first table after the line `heading`. */
function firstColumn(heading: string): string[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README.md has no line "${heading}"`);
  const rows: string[] = [];
  let inTable = false;
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    rows.push(...[...(line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
  }
  return rows;
}

describe('README: fan-out', () => {
  it('documents every field of the rotation.fanout record and its partitions, and no other', () => {
    const table = new Set(firstColumn('### Fan-out records'));
    // `time` is added to every line by the writer.
    const fields = new Set<string>([...FANOUT_FIELDS, ...FANOUT_PARTITION_FIELDS, 'time']);
    expect([...fields].filter((f) => !table.has(f))).toEqual([]);
    expect([...table].filter((f) => !fields.has(f))).toEqual([]);
  });

  it('documents every fan-out variable and mode, and no other variable', () => {
    const table = firstColumn('### Fan-out');
    const variables = Object.values(FANOUT_VARIABLES);
    expect(table.filter((v) => v.startsWith('ROTATOR_')).sort()).toEqual([...variables].sort());
    const start = readme.indexOf('### Fan-out\n');
    const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
    expect(section.length).toBeGreaterThan(100);
    for (const mode of FANOUT_MODES) expect(section).toContain(`\`${mode}\``);
  });
});
