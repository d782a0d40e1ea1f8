/**
 * What every benchmark prints: raw figures, then one `ratio <name>: <value> (target …) PASS|FAIL` line that the
 * README explains and the tiny-size test looks for.
 */

export type Write = (line: string) => void;

export interface Target {
  op: '≤' | '≥';
  value: number;
}

export function meets(value: number, target: Target): boolean {
  return Number.isFinite(value) && (target.op === '≤' ? value <= target.value : value >= target.value);
}

export function ratioLine(name: string, value: number, target: Target | undefined, meaning: string): string {
  const shown = Number.isFinite(value) ? value.toFixed(2) : String(value);
  if (!target) return `ratio ${name}: ${shown} (${meaning}; no target)`;
  return `ratio ${name}: ${shown} (${meaning}, target ${target.op} ${target.value}) ${meets(value, target) ? 'PASS' : 'FAIL'}`;
}

export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export const ms = (x: number): string => `${x.toFixed(0)} ms`;
export const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
