/**
 * Single flight in one isolate: concurrent requests that need the same work (an anonymous probe, a cache fill) do it
 * once. The work is kept in a bounded isolate memory as a promise, and dropped once it settles, so a failure is never
 * remembered. Whoever waits on another request's work waits with a bound of its own (bound.ts): a Worker cannot read
 * a body another request opened, and that request may be cancelled and never finish.
 * Two shapes: `join` when the work is a promise anyone can start (a probe); `lead`/`follow` when the work is the
 * leader's own response, which only the leader can finish and report on (a fill).
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
