/**
 * The CPU a cache fill costs the Worker, estimated before it starts. Cloudflare kills a request that goes over its
 * plan's CPU limit (10 ms on the free plan), and the client's stream dies with it; streaming bytes through costs the
 * Worker almost nothing (the runtime pipes them natively), but hashing them in the Worker costs per megabyte. So a
 * fill whose estimate exceeds the budget (CACHE_CPU_BUDGET_MS) is not made: the bytes stream through uncached.
 * The rates are upper bounds from `npm run bench` (README, "Cache: what is shared, and the CPU budget"), measured
 * as the local runtime's process CPU, which includes work the edge does outside the Worker.
 */
import type { Config } from "../config/config";

/** A cached request's own work (routing, cache lookups, markers): the manifest-miss row of the bench. */
export const REQUEST_CPU_MS = 1.5;
/** Per MB when the Worker hashes what it stores (DigestStream on a tee() branch): no R2 bound. */
export const HASHED_FILL_CPU_MS_PER_MB = 2.5;
/** Per MB when R2 checks the digest itself (the sha256 put option): the Worker only pipes the bytes. */
export const R2_FILL_CPU_MS_PER_MB = 0.3;

const MB = 1_000_000;

/** The estimated CPU (ms) of a request that fills the cache with `size` bytes. */
export function fillCpuMs(size: number, r2: boolean): number {
  return REQUEST_CPU_MS + (size / MB) * (r2 ? R2_FILL_CPU_MS_PER_MB : HASHED_FILL_CPU_MS_PER_MB);
}

/**
 * Whether filling the cache with a body of `size` bytes fits the budget. A body of unknown length does not: nothing
 * bounds its cost (and R2 needs the length up front anyway).
 */
export function fillFits(config: Pick<Config, "cacheCpuBudgetMs" | "blobs">, size: number | undefined): boolean {
  return size !== undefined && fillCpuMs(size, config.blobs !== undefined) <= config.cacheCpuBudgetMs;
}
