/**
 * Single flight for cache misses in one isolate: the first request to miss an object (the leader) fetches and fills
 * it; requests that miss it meanwhile (followers) wait for that fill to land and read the cache. A Worker cannot
 * read a body another request opened (I/O belongs to the request that started it), so followers never share the
 * leader's stream: they wait, each with its own bound, and fetch for themselves when the bound passes or the leader
 * fails. A leader whose client went away mid-stream may never land its fill; the bound is what keeps followers
 * from hanging on it.
 */
import { withBound } from "../core/bound";
import { isolate } from "../core/isolate";

/** How long a follower waits for a leader's fill before fetching for itself. */
export const FOLLOWER_WAIT_MS = 5_000;

/** Fills under way: object key -> resolves true once its bytes are in the cache, false if the fill failed or was not made. */
const flights = isolate.memory<string, Promise<boolean>>("fills under way", 1000);

/** A leader's handle: say once whether the fill landed (true) or not (false). */
export type Landing = (landed: boolean) => void;

/**
 * Takes the lead for `key` if nobody holds it (synchronously, so two misses cannot both lead); returns how to
 * report the outcome, or undefined when another request already leads. With `takeOver`, a follower whose bound
 * passed takes the lead from a stalled leader, so later misses wait for its fill rather than for the stalled one.
 */
export function lead(key: string, takeOver = false): Landing | undefined {
  if (flights.has(key) && !takeOver) return undefined;
  let settle!: (landed: boolean) => void;
  const landing = new Promise<boolean>((resolve) => (settle = resolve));
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
export async function follow(key: string, boundMs = FOLLOWER_WAIT_MS): Promise<boolean> {
  const landing = flights.get(key);
  return landing ? withBound(landing, boundMs, false) : false;
}

/** The leader's upstream fetch: if it fails, the followers hear so at once instead of waiting out their bound. */
export async function fetchLeading(landing: Landing | undefined, fetch: () => Promise<Response>): Promise<Response> {
  try {
    return await fetch();
  } catch (error) {
    landing?.(false);
    throw error;
  }
}
