/**
 * Work that concurrent requests share (a token, a registry's scheme) without sharing its failures or stalls. The
 * first request to need a value fetches it; the others wait for that fetch, each with its own bound. A waiter whose
 * bound runs out fails alone, never hangs with a stalled or cancelled first request; a failed fetch is forgotten at
 * once, and a waiter that saw it tries once more (sharing that second fetch with the other waiters) instead of
 * inheriting the error. A fetch that never settles (its request was cancelled) is replaced after the bound.
 */
import { BoundedMap } from "../core/isolate";

/** One value, fetched or being fetched. */
export interface SharedEntry<T> {
  value: Promise<T>;
  startedAt: number;
  settled: boolean;
  /** Until when a settled value may be used. */
  expiresAt: number;
}

/** Shared values by key, bounded like every isolate memory. */
export type SharedMemory<T> = BoundedMap<string, SharedEntry<T>>;

/** How one request obtains a shared value. */
export interface ObtainOptions<T> {
  /** How long this request waits for another's fetch; also the age past which an unsettled fetch is given up. */
  waitMs: number;
  fetch: () => Promise<T>;
  /** When a fetched value stops being usable (ms since the epoch). */
  expiresAt: (value: T) => number;
  /** The error a waiter throws when its bound runs out. */
  timedOut: () => Error;
}

/** The value for `key`: a usable one, another request's fetch in flight, or a new fetch. `cached` when it was stored. */
export async function obtain<T>(memory: SharedMemory<T>, key: string, options: ObtainOptions<T>): Promise<{ value: T; cached: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const entry = memory.get(key);
    const now = Date.now();
    if (entry?.settled && entry.expiresAt > now) return { value: await entry.value, cached: true };
    if (entry && !entry.settled && now - entry.startedAt < options.waitMs) {
      const outcome = await within(entry.value, options.waitMs);
      if (outcome.kind === "value") return { value: outcome.value, cached: false };
      if (outcome.kind === "timeout") throw options.timedOut();
      if (attempt > 0) throw outcome.error;
      continue; // the fetch this request waited for failed: try once more rather than inherit its error
    }
    return { value: await start(memory, key, options), cached: false };
  }
}

/** Forgets a stored value (a token the upstream refused); a fetch in flight is left to finish. */
export function forget<T>(memory: SharedMemory<T>, key: string): void {
  if (memory.get(key)?.settled) memory.delete(key);
}

function start<T>(memory: SharedMemory<T>, key: string, options: ObtainOptions<T>): Promise<T> {
  const entry: SharedEntry<T> = { startedAt: Date.now(), settled: false, expiresAt: 0, value: Promise.resolve(undefined as T) };
  entry.value = options.fetch().then(
    (value) => {
      entry.settled = true;
      entry.expiresAt = options.expiresAt(value);
      return value;
    },
    (error: unknown) => {
      if (memory.get(key) === entry) memory.delete(key); // a failure is the failing request's own
      throw error;
    },
  );
  memory.delete(key);
  memory.set(key, entry);
  return entry.value;
}

type Outcome<T> = { kind: "value"; value: T } | { kind: "error"; error: unknown } | { kind: "timeout" };

/** Waits for `promise` at most `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome<T>>((resolve) => (timer = setTimeout(() => resolve({ kind: "timeout" }), ms)));
  try {
    return await Promise.race([promise.then((value): Outcome<T> => ({ kind: "value", value }), (error: unknown): Outcome<T> => ({ kind: "error", error })), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
