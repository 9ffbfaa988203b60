/**
 * How a fetched object may be kept, decided once per fill (fillPlan), from the CPU it would cost the Worker.
 * Cloudflare stops a request that goes over its plan's CPU limit (10 ms on the free plan), and the client's stream
 * dies with it. Bytes the runtime pipes natively (a tee() branch handed to cache.put or to R2) cost the Worker about
 * the same at 1 MB or 500 MB; bytes JavaScript touches (hashing in the Worker) cost per megabyte. So:
 * - "r2": R2 is bound: R2 checks the sha256 itself; no Worker CPU per byte, any size;
 * - "hash": the Worker hashes a tee() branch, when that fits CACHE_CPU_BUDGET_MS;
 * - "length": beyond the budget, the bytes are stored natively and kept only once the stored entry is known to hold
 *   exactly the declared length (cache-api-store.ts); marked so, kept days not a year, and hashed by any later read
 *   that can afford it (fill.ts);
 * - "none": not stored (no known length, over the Cache API's 512 MB without R2, or an unhashed fallback object).
 * The rates are the Worker's own CPU (bench/cpu.ts, time on CPU under its isolate's lock), not the process CPU of the
 * local runtime, which also counts the Cache API simulator and HTTP handling.
 */
import type { Config } from "../config/config";
import { CACHE_API_MAX_BYTES } from "./store";

/** How a fill keeps its bytes; "none" keeps nothing. */
export type FillPlan = "hash" | "length" | "r2" | "none";

/**
 * The Worker's own CPU of a blob miss that hashes its fill, besides the bytes: the request itself (about 1.4 ms on a
 * blob miss), the tee(), the Cache API write and the pointer. Measured (bench/cpu.ts): a 1 MB hashed miss 2-4 ms.
 */
export const FILL_BASE_CPU_MS = 2;
/**
 * Per MB when the Worker hashes what it stores (crypto.DigestStream over 1 MiB reads into one reused buffer).
 * Measured: 0.99 ms per MB over a 42 MB miss, 1.1 over a 10 MB one (12.5 ms in all); the higher rate is kept.
 */
export const HASHED_FILL_CPU_MS_PER_MB = 1.1;

const MB = 1_000_000;

/** Whether hashing `size` bytes in the Worker fits the budget. */
export function hashFits(config: Pick<Config, "cacheCpuBudgetMs">, size: number): boolean {
  return FILL_BASE_CPU_MS + (size / MB) * HASHED_FILL_CPU_MS_PER_MB <= config.cacheCpuBudgetMs;
}

/**
 * The one fill decision, for an object of `size` bytes (undefined: length unknown). `fromFallback`: the object came
 * from a fallback registry and would be stored under the primary's key, so only a hash (or R2's) may vouch for it.
 */
export function fillPlan(
  cx: { config: Pick<Config, "cacheCpuBudgetMs" | "blobs"> },
  size: number | undefined,
  options: { fromFallback?: boolean } = {},
): FillPlan {
  if (size === undefined) return "none";
  if (cx.config.blobs !== undefined) return "r2";
  if (size > CACHE_API_MAX_BYTES) return "none";
  if (hashFits(cx.config, size)) return "hash";
  return options.fromFallback ? "none" : "length";
}
