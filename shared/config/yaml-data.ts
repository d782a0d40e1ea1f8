import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { formatBytes } from './read-text-file.js';

/**
 * YAML text to plain data, with the limits a configuration loader needs and a line for every path.
 *
 * The yaml package's own `toJS` is not used: its duplicate-key check compares every key with every earlier key of
 * the map and its alias resolution scans the document once per alias, so a file of 100,000 keys or aliases took
 * minutes; its alias limit ends in a ReferenceError without a line. Here each node is visited once, duplicate keys
 * are found with a Set, aliases are looked up in a Map, and the size of the data *after* alias expansion is
 * counted as it is built, so an alias bomb stops at the alias that crosses the limit, with its line.
 */

/** A rotator configuration is a few KB; 1 MiB leaves room for thousands of certificates and refuses a wrong file. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Values (scalars and collections) after alias expansion: bounds the work of everything that reads the data. */
export const MAX_EXPANDED_VALUES = 200_000;
/** Deeper than any configuration; keeps recursion far from the stack limit. */
export const MAX_DEPTH = 64;
/** Problems listed one by one before the rest are summarised as "and N more". */
export const MAX_LISTED_PROBLEMS = 20;

export interface YamlData {
  /** null for an empty document. */
  data: unknown;
  /** The line of the deepest node of `path` that exists in the file (1-based), for messages. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** `problems` with at most MAX_LISTED_PROBLEMS listed and one line counting the rest. */
export function capProblems(problems: readonly string[], countIsPartial = false): string[] {
  return listProblems(problems.slice(0, MAX_LISTED_PROBLEMS), problems.length, countIsPartial);
}

/** The first problems of `total`, described, and a line counting the rest (`at least` when counting stopped). */
export function listProblems(first: readonly string[], total: number, countIsPartial = false): string[] {
  const rest = total - first.length;
  if (rest <= 0 && !countIsPartial) return [...first];
  const more = countIsPartial ? `at least ${rest}` : String(rest);
  return [...first, `… and ${more} more problem${rest === 1 ? '' : 's'}`];
}

/**
 * A key as it may appear in a message. Keys come from a file that may not be a configuration at all (a passwd or
 * .env file passed by mistake, a secret pasted in the wrong place), so only what looks like a field name is shown.
 */
export function displayableKey(key: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_-]{0,39}$/.test(key) ? key : undefined;
}

class Stop extends Error {}

export function parseYaml(text: string, origin: string): YamlData {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    throw new ConfigError([`${origin}: is ${bytes} bytes; the limit is ${formatBytes(MAX_CONFIG_BYTES)}`]);
  }
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    if (err instanceof RangeError) throw new ConfigError([`${origin}: YAML is nested too deeply to read`]);
    throw err;
  }
  // The parser turns its own stack overflow into one error per open bracket; one clear problem says it better.
  const overflow = doc.errors.find((e) => /call stack/i.test(e.message));
  if (overflow) {
    throw new ConfigError([
      `${origin}:${lineCounter.linePos(overflow.pos[0]).line}: YAML is nested too deeply to read`,
    ]);
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(
      capProblems(
        doc.errors.map((e) => {
          const pos = lineCounter.linePos(e.pos[0]);
          // The first line only, and short: some parser messages quote a fragment of the offending line.
          const message = (e.message.split('\n')[0] ?? '').slice(0, 120);
          return `${origin}:${pos.line}:${pos.col}: YAML syntax: ${message}`;
        }),
      ),
    );
  }

  const problems: string[] = [];
  const at = (node: { range?: [number, number, number] | null } | null | undefined) =>
    `${origin}${node?.range ? `:${lineAt(node.range[0])}` : ''}`;
  let gaveUp = false;
  const report = (message: string) => {
    problems.push(message);
    // Past the listing cap only the count matters, and a hostile file could produce one problem per byte.
    if (problems.length >= MAX_LISTED_PROBLEMS * 50) {
      gaveUp = true;
      throw new Stop();
    }
  };

  /** Per collection built: the source offset of each key or index, for `lineOf`. */
  const offsets = new WeakMap<object, Map<PropertyKey, number>>();
  /** Anchor name → its value and expanded size; a name may be redefined, and an alias takes the latest before it. */
  const anchors = new Map<string, { value: unknown; size: number } | 'building'>();
  let expanded = 0;

  const count = (n: number, node: Node | null | undefined) => {
    expanded += n;
    if (expanded > MAX_EXPANDED_VALUES) {
      problems.push(
        `${at(node)}: more than ${MAX_EXPANDED_VALUES} values after expanding YAML aliases (anchors and aliases ` +
          'may repeat a block, not multiply it without bound)',
      );
      throw new Stop();
    }
  };

  const build = (node: Node | null | undefined, depth: number): { value: unknown; size: number } => {
    if (node == null) {
      count(1, node);
      return { value: null, size: 1 };
    }
    if (depth > MAX_DEPTH) {
      problems.push(`${at(node)}: nested more than ${MAX_DEPTH} levels deep`);
      throw new Stop();
    }
    if (isAlias(node)) {
      const anchor = anchors.get(node.source);
      if (anchor === undefined) {
        report(`${at(node)}: alias *${displayableKey(node.source) ?? '…'} has no anchor before it`);
        return { value: null, size: 1 };
      }
      if (anchor === 'building') {
        report(`${at(node)}: alias *${displayableKey(node.source) ?? '…'} refers to the block that contains it`);
        return { value: null, size: 1 };
      }
      count(anchor.size, node);
      return anchor;
    }
    const anchor = node.anchor;
    if (anchor) anchors.set(anchor, 'building');
    const start = expanded;
    count(1, node);
    let value: unknown;
    if (isScalar(node)) {
      value = node.value;
    } else if (isMap(node)) {
      const object: Record<string, unknown> = {};
      const lines = new Map<PropertyKey, number>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        if (!isScalar(keyNode)) {
          report(`${at(keyNode ?? node)}: a key must be a plain name, not a collection or an alias`);
          continue;
        }
        const key = keyNode.value === null || keyNode.value === undefined ? '' : String(keyNode.value);
        if (lines.has(key)) {
          const shown = displayableKey(key);
          report(`${at(keyNode)}: duplicate key${shown ? ` "${shown}"` : ''}`);
          continue;
        }
        if (keyNode.range) lines.set(key, keyNode.range[0]);
        const child = build(pair.value as Node | null, depth + 1);
        // defineProperty, so a key named __proto__ is data, not a prototype change.
        Object.defineProperty(object, key, {
          value: child.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      offsets.set(object, lines);
      value = object;
    } else if (isSeq(node)) {
      const array: unknown[] = [];
      const lines = new Map<PropertyKey, number>();
      node.items.forEach((item, i) => {
        const range = (item as Node | null)?.range;
        if (range) lines.set(i, range[0]);
        array.push(build(item as Node | null, depth + 1).value);
      });
      offsets.set(array, lines);
      value = array;
    } else {
      report(`${at(node)}: unsupported YAML node`);
      value = null;
    }
    const result = { value, size: expanded - start };
    if (anchor) anchors.set(anchor, result);
    return result;
  };

  let data: unknown = null;
  try {
    data = doc.contents ? build(doc.contents as Node, 0).value : null;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  if (problems.length > 0) throw new ConfigError(capProblems(problems, gaveUp));

  const rootOffset = (doc.contents as Node | null)?.range?.[0];
  return {
    data,
    lineOf(path) {
      let offset = rootOffset;
      let current: unknown = data;
      for (const key of path) {
        const index = current !== null && typeof current === 'object' ? offsets.get(current) : undefined;
        const found = index?.get(key);
        if (found === undefined) break;
        offset = found;
        current = (current as Record<PropertyKey, unknown>)[key as string];
      }
      return lineAt(offset);
    },
  };
}
