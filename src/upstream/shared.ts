/**
 * Work that concurrent requests share (a token, a registry's scheme) without sharing its failures or stalls. The
 * first request to need a value fetches it; the others wait for that fetch, each with its own bound. A waiter whose
 * bound runs out fails alone, never hangs with a stalled or cancelled first request; a failed fetch is forgotten at
 * once, and a waiter that saw it tries once more (sharing that second fetch with the other waiters) instead of
 * inheriting the error. A fetch that never settles (its request was cancelled) is replaced after the bound.
 */
import { withBound } from "../core/bound";
import type { BoundedMap } from "../core/isolate";

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

/**
 * The value for `key`: a usable one, another request's fetch in flight, or a new fetch. `cached` when it was stored.
 * This request waits at most `waitMs` in all, whoever's fetch it waits for.
 */
export async function obtain<T>(
  memory: SharedMemory<T>,
  key: string,
  options: ObtainOptions<T>,
): Promise<{ value: T; cached: boolean }> {
  const deadline = Date.now() + options.waitMs;
  for (let attempt = 0; ; attempt++) {
    const entry = memory.get(key);
    const now = Date.now();
    if (entry?.settled && entry.expiresAt > now) return { value: await entry.value, cached: true };
    const joined = entry && !entry.settled && now - entry.startedAt < options.waitMs ? entry : undefined;
    // The first fetch is this request's own and has its own deadline; a second one (after another's failure) is
    // waited for only as long as this request has left.
    if (!joined && attempt === 0) return { value: await start(memory, key, options), cached: false };
    const outcome = await within(joined ? joined.value : start(memory, key, options), deadline - now);
    if (outcome.kind === "value") return { value: outcome.value, cached: false };
    if (outcome.kind === "timeout") throw options.timedOut();
    if (!joined || attempt > 0) throw outcome.error;
    // The fetch this request waited for failed: try once more rather than inherit its error.
  }
}

/** Forgets a stored value (a token the upstream refused); a fetch in flight is left to finish. */
export function forget<T>(memory: SharedMemory<T>, key: string): void {
  if (memory.get(key)?.settled) memory.delete(key);
}

function start<T>(memory: SharedMemory<T>, key: string, options: ObtainOptions<T>): Promise<T> {
  const entry: SharedEntry<T> = {
    startedAt: Date.now(),
    settled: false,
    expiresAt: 0,
    value: Promise.resolve(undefined as T),
  };
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
  if (ms <= 0) {
    promise.catch(() => undefined); // nobody waits for it any more
    return { kind: "timeout" };
  }
  const outcome = promise.then(
    (value): Outcome<T> => ({ kind: "value", value }),
    (error: unknown): Outcome<T> => ({ kind: "error", error }),
  );
  return withBound(outcome, ms, { kind: "timeout" } as Outcome<T>);
}
