/**
 * The lease helper's in-memory record store for unit tests: an atomic create by exact value per name (as Alidns
 * refuses a duplicate RR + Type + Value), removal by id, and a clock the test moves. Every call is logged, so a test
 * can say which record a removal hit.
 */
import type { LeaseRecordEntry } from '../../shared/lease/lease-records.js';
import type { LeaseRecords } from '../../shared/lease/record-lease-store.js';

export interface MemoryLeaseRecords extends LeaseRecords {
  /** Every record, by name. */
  readonly records: Map<string, LeaseRecordEntry[]>;
  /** `create <name> <value>`, `duplicate <name> <value>`, `remove <id>`, `list <name>`, in order. */
  readonly calls: string[];
  /** The creation time stamped on new records. */
  now: Date;
  /** Runs before each create answers: lets a test put a contender's write between two steps. */
  beforeCreate?: (name: string, value: string) => void;
  /** Make the next removal of `id` fail. */
  failRemoval(id: string): void;
}

export function memoryLeaseRecords(now: Date): MemoryLeaseRecords {
  let next = 1;
  const failing = new Set<string>();
  const store: MemoryLeaseRecords = {
    records: new Map(),
    calls: [],
    now,
    async create(name, value) {
      store.beforeCreate?.(name, value);
      const list = store.records.get(name) ?? [];
      if (list.some((r) => r.value === value)) {
        store.calls.push(`duplicate ${name} ${value}`);
        return 'duplicate';
      }
      const id = `r${next++}`;
      list.push({ id, value, createdAt: new Date(store.now) });
      store.records.set(name, list);
      store.calls.push(`create ${name} ${value}`);
      return { id };
    },
    async list(name) {
      store.calls.push(`list ${name}`);
      return (store.records.get(name) ?? []).map((r) => ({ ...r }));
    },
    async remove(name, id) {
      store.calls.push(`remove ${id}`);
      if (failing.delete(id)) throw new Error(`removal of ${id} refused`);
      store.records.set(
        name,
        (store.records.get(name) ?? []).filter((r) => r.id !== id),
      );
    },
    failRemoval(id) {
      failing.add(id);
    },
  };
  return store;
}
