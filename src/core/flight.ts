/**
 * Single flight in one isolate: concurrent requests that need the same work (an anonymous probe, a cache fill) do it
 * once. The work is kept in a bounded isolate memory as a promise, and dropped once it settles, so a failure is never
 * remembered. Whoever waits on another request's work waits with a bound of its own (bound.ts): a Worker cannot read
 * a body another request opened, and that request may be cancelled and never finish.
 * Three shapes: `join` when the work is a promise anyone can start (a probe); `lead`/`follow` when the work is the
 * leader's own response, which only the leader can finish and report on (a fill); `obtain` when the result is kept
 * until it expires (a token, a registry's scheme), and a waiter whose fetch failed tries once more.
 */
import { withBound } from "./bound";
import type { BoundedMap } from "./isolate";

/** Work under way by key: each promise settles to its outcome and is forgotten. */
export type Flights<T> = BoundedMap<string, Promise<T>>;

/** The work under way for `key`, or `start()`'s, shared with whoever asks while it runs. */
export function join<T>(flights: Flights<T>, key: string, start: () => Promise<T>): Promise<T> {
  const running = flights.get(key);
  if (running) return running;
  const work = start().finally(() => {
    if (flights.get(key) === work) flights.delete(key);
  });
  flights.set(key, work);
  return work;
}

/** A leader's handle: say once whether its fill landed (true) or not (false); later calls are ignored. */
export type Landing = (landed: boolean) => void;

/**
 * Takes the lead for `key` if nobody holds it, synchronously, so of two concurrent misses exactly one leads.
 * Undefined when another request already leads.
 */
export function lead(flights: Flights<boolean>, key: string): Landing | undefined {
  return flights.has(key) ? undefined : takeLead(flights, key);
}

/**
 * Takes the lead for `key` even from a leader that holds it: for a follower whose wait ended without a landing, so
 * later misses wait for this request's fill rather than for a stalled one.
 */
export function takeLead(flights: Flights<boolean>, key: string): Landing {
  let settle: Landing = () => undefined;
  const landing = new Promise<boolean>((resolve) => {
    settle = resolve;
  });
  flights.set(key, landing);
  let done = false;
  return (landed) => {
    if (done) return;
    done = true;
    if (flights.get(key) === landing) flights.delete(key);
    settle(landed);
  };
}

/** Waits, at most `boundMs`, for the leader of `key`: true only if its fill landed in time. False at once if none leads. */
export async function follow(flights: Flights<boolean>, key: string, boundMs: number): Promise<boolean> {
  const landing = flights.get(key);
  return landing ? withBound(landing, boundMs, false) : false;
}

/**
 * The lead/follow sequence of a miss: lead if nobody does; else follow the leader and return what its fill left
 * (`landed()`, e.g. the object read from cache); when that is nothing (the leader failed, stalled, or filled what this
 * request may not have), take the lead and fetch for ourselves.
 */
export async function leadOrFollow<T>(
  flights: Flights<boolean>,
  key: string,
  boundMs: number,
  landed: () => Promise<T | undefined>,
): Promise<{ landed: T } | { landing: Landing }> {
  const landing = lead(flights, key);
  if (landing) return { landing };
  const found = (await follow(flights, key, boundMs)) ? await landed() : undefined;
  return found === undefined ? { landing: takeLead(flights, key) } : { landed: found };
}

/**
 * The leader's side, written once: its upstream fetch and its fill each report to the followers as soon as they
 * fail, so a follower never waits out its bound for a leader that already gave up. Resolves to the fetch's response.
 */
export async function fetchLeading(landing: Landing | undefined, fetch: () => Promise<Response>): Promise<Response> {
  try {
    return await fetch();
  } catch (error) {
    landing?.(false);
    throw error;
  }
}

/** Reports a fill's outcome to the followers: landed when it resolves true; not landed when false or when it throws. */
export function settleWith(landing: Landing | undefined, fill: Promise<boolean>): Promise<boolean> {
  if (!landing) return fill;
  return fill.then(
    (landed) => {
      landing(landed);
      return landed;
    },
    (error: unknown) => {
      landing(false);
      throw error;
    },
  );
}

// Values kept until they expire (tokens, schemes): the first request fetches, the others wait with their own bound;
// a failed fetch is forgotten at once, and a waiter that saw it tries once more instead of inheriting the error. A
// fetch that never settles (its request was cancelled) is replaced after the bound.

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
