/**
 * The CPU a cache fill costs the Worker, estimated before it starts. Cloudflare kills a request that goes over its
 * plan's CPU limit (10 ms on the free plan), and the client's stream dies with it; streaming bytes through costs the
 * Worker almost nothing (the runtime pipes them natively), but hashing them in the Worker costs per megabyte. So a
 * fill whose estimate exceeds the budget (CACHE_CPU_BUDGET_MS) is not made: the bytes stream through uncached.
 * The rates are upper bounds from `npm run bench` (README, "Cache: what is shared, and the CPU budget"), measured
 * as the local runtime's process CPU, which includes work the edge does outside the Worker.
 */
import type { Config } from "../config/config";

/**
 * A fill's fixed work besides the bytes (pointer and marker writes). The request's own work is not counted: it is
 * spent whether or not the cache is filled, so refusing the fill would not save it.
 */
export const FILL_BASE_CPU_MS = 1.5;
/**
 * Per MB when the Worker hashes what it stores (DigestStream on a tee() branch): no R2 bound. The bench's "blob miss
 * with a verified fill" less "streamed through without a fill" (5.5 - 0.8 ms/MB): an upper bound, as it includes
 * the local Cache API's own write.
 */
export const HASHED_FILL_CPU_MS_PER_MB = 4.7;
/**
 * Per MB when R2 checks the digest itself (the sha256 put option): none. The Worker only hands a tee() branch to R2
 * and copies R2's verified object to the Cache API, both native pipes. (The bench's R2 row measures the local R2
 * simulator, which runs inside the same process; at the edge R2 is a separate service.)
 */
export const R2_FILL_CPU_MS_PER_MB = 0;

const MB = 1_000_000;

/** The estimated CPU (ms) that filling the cache with `size` bytes adds to a request. */
export function fillCpuMs(size: number, r2: boolean): number {
  return FILL_BASE_CPU_MS + (size / MB) * (r2 ? R2_FILL_CPU_MS_PER_MB : HASHED_FILL_CPU_MS_PER_MB);
}

/**
 * Whether filling the cache with a body of `size` bytes fits the budget. A body of unknown length does not: nothing
 * bounds its cost (and R2 needs the length up front anyway).
 */
export function fillFits(config: Pick<Config, "cacheCpuBudgetMs" | "blobs">, size: number | undefined): boolean {
  return size !== undefined && fillCpuMs(size, config.blobs !== undefined) <= config.cacheCpuBudgetMs;
}
