/**
 * The one fill decision (cache/budget.ts fillPlan): how a fetched object of a given size may be kept, on each plan.
 * The Docker Hub fallback chain (#23) calls it with `fromFallback`, so it never stores unhashed bytes under the
 * primary's key.
 */
import { describe, expect, it } from "vitest";
import { FILL_BASE_CPU_MS, fillPlan, HASHED_FILL_CPU_MS_PER_MB, hashFits } from "../../../src/cache/budget";
import { CACHE_API_MAX_BYTES } from "../../../src/cache/store";

const MB = 1_000_000;
const free = { cacheCpuBudgetMs: 10 };
const paid = { cacheCpuBudgetMs: 30_000 };
const r2 = { cacheCpuBudgetMs: 10, blobs: {} as R2Bucket };
/** The largest object the free plan's budget can hash. */
const hashable = Math.floor(((10 - FILL_BASE_CPU_MS) / HASHED_FILL_CPU_MS_PER_MB) * MB);

describe("fillPlan", () => {
  it.each([
    ["a config of 2 KB, free plan", free, 2_000, {}, "hash"],
    ["the largest object the free budget hashes", free, hashable, {}, "hash"],
    ["one byte more: kept, length-checked", free, hashable + 1, {}, "length"],
    ["a 40 MB layer, free plan", free, 40 * MB, {}, "length"],
    ["a 512 MB layer, free plan", free, CACHE_API_MAX_BYTES, {}, "length"],
    ["over the Cache API's 512 MB without R2", free, CACHE_API_MAX_BYTES + 1, {}, "none"],
    ["a body of unknown length", free, undefined, {}, "none"],
    ["a 40 MB layer, paid budget", paid, 40 * MB, {}, "hash"],
    ["a 40 MB layer with R2 bound", r2, 40 * MB, {}, "r2"],
    ["a 2 GB layer with R2 bound", r2, 2_000 * MB, {}, "r2"],
    ["from a fallback, within the budget", free, 2_000, { fromFallback: true }, "hash"],
    ["from a fallback, beyond it: served, not stored", free, 40 * MB, { fromFallback: true }, "none"],
    ["from a fallback with R2 bound", r2, 40 * MB, { fromFallback: true }, "r2"],
  ] as const)("%s", (_label, config, size, options, plan) => {
    expect(fillPlan({ config }, size, options)).toBe(plan);
  });

  it("hashFits is the budget's own rule, fixed cost plus per MB", () => {
    expect(hashFits(free, hashable)).toBe(true);
    expect(hashFits(free, hashable + 1)).toBe(false);
    expect(hashFits({ cacheCpuBudgetMs: 1 }, 1)).toBe(FILL_BASE_CPU_MS + HASHED_FILL_CPU_MS_PER_MB / MB <= 1);
  });
});
