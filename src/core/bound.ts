/**
 * Waiting on work another request may own (a shared fetch, a fill, a probe) with a bound of one's own, so a stalled or
 * cancelled owner never holds the waiter.
 */

/** What `work` settles to, or `fallback` once `ms` have passed; the work itself goes on, no longer awaited here. */
export async function withBound<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), Math.max(0, ms))));
  try {
    return await Promise.race([work, bound]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
