/**
 * Mirrors Alidns TXT records into pebble-challtestsrv, whose DNS server Pebble asks during DNS-01 validation.
 *
 * challtestsrv's management API can append a TXT value (`/set-txt`) but can only remove every value at a name
 * (`/clear-txt`), so a deletion clears the name and re-adds the values that remain. Operations on one name are
 * serialised, or a concurrent add could land between the clear and the re-add and be lost.
 */
export class ChalltestsrvMirror {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly managementUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  addTxt(fqdn: string, value: string): Promise<void> {
    return this.serialise(fqdn, () => this.post('/set-txt', { host: toHost(fqdn), value }));
  }

  /** Leaves exactly `remaining` at the name. */
  replaceTxt(fqdn: string, remaining: readonly string[]): Promise<void> {
    return this.serialise(fqdn, async () => {
      await this.post('/clear-txt', { host: toHost(fqdn) });
      for (const value of remaining) await this.post('/set-txt', { host: toHost(fqdn), value });
    });
  }

  private serialise(fqdn: string, op: () => Promise<void>): Promise<void> {
    const key = fqdn.toLowerCase();
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(op);
    this.queues.set(key, next);
    void next
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      })
      .catch(() => {});
    return next;
  }

  private async post(path: string, body: Record<string, string>): Promise<void> {
    const url = new URL(path, this.managementUrl);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`pebble-challtestsrv ${path} answered HTTP ${res.status}`);
  }
}

/** challtestsrv wants the FQDN with a trailing dot. */
function toHost(fqdn: string): string {
  const lower = fqdn.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}
