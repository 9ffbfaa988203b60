/**
 * Single flight for cache misses (core/flight.ts): the first request to miss an object (the leader) fetches and
 * fills it; requests that miss it meanwhile (followers) wait for that fill to land and read the cache. A leader
 * whose client went away mid-stream may never land its fill; each follower's bound keeps it from hanging on it.
 */
import { type Flights, type Landing, leadOrFollow } from "../core/flight";
import { isolate } from "../core/isolate";

export { fetchLeading, type Landing, settleWith } from "../core/flight";

/** How long a follower waits for a leader's fill before fetching for itself. */
export const FOLLOWER_WAIT_MS = 5_000;

/** Fills under way: object key -> resolves true once its bytes are in the cache, false if the fill failed or was not made. */
const fills: Flights<boolean> = isolate.memory("fills under way", 1000);

/** Leads the fill of `key`, or follows its leader and returns what it left in the cache (`landed`); see core/flight.ts. */
export function leadFill<T>(
  key: string,
  landed: () => Promise<T | undefined>,
): Promise<{ landed: T } | { landing: Landing }> {
  return leadOrFollow(fills, key, FOLLOWER_WAIT_MS, landed);
}
