/**
 * Everything an isolate remembers between requests, in one object: parsed configuration, tokens, learned realms,
 * visibility verdicts, imported keys, password digests, the page's policy. Each memory is a bounded map registered
 * here by name, so nothing grows without limit and tests can forget it all at once (`isolate.clear()`).
 * An isolate serves many requests and may be dropped at any time, so nothing here is more than a shortcut.
 */

/** A map that forgets its oldest entry once it holds `limit` entries. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

/** The isolate's memories. */
export class IsolateMemory {
  private readonly memories = new Map<string, BoundedMap<unknown, unknown>>();

  /** The memory called `name` (created on first use) holding at most `limit` entries. */
  memory<K, V>(name: string, limit: number): BoundedMap<K, V> {
    let memory = this.memories.get(name);
    if (!memory) {
      memory = new BoundedMap<unknown, unknown>(limit);
      this.memories.set(name, memory);
    }
    return memory as BoundedMap<K, V>;
  }

  /** Forgets everything, as a fresh isolate would have it. */
  clear(): void {
    for (const memory of this.memories.values()) memory.clear();
  }
}

/** This isolate's memory. */
export const isolate = new IsolateMemory();
