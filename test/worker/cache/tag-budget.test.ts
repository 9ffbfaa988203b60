/**
 * A manifest fetched by tag is stored under the same rule as one fetched by digest (#21): with a CPU budget
 * (CACHE_CPU_BUDGET_MS) too small for any fill, and with a roomy one, a manifest first fetched by tag is kept exactly
 * when the same kind of manifest first fetched by digest is. Both storage modes.
 */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, fakeHub, makeImage, requestAs, STORAGE_MODES, uniqueName } from "../support/fake-registry";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  it.each(["1", "1000"])(
    "CACHE_CPU_BUDGET_MS=%s: a manifest by tag is stored exactly when one by digest is",
    async (budget) => {
      const [byTag, byDigest] = await Promise.all(["a", "b"].map(() => makeImage(`library/${uniqueName()}`, "1")));
      fakeHub({ images: [byTag!, byDigest!] });
      const vars = { ...bindings, CACHE_CPU_BUDGET_MS: budget };
      const get = (path: string) => requestAs(ANONYMOUS, path, { vars });
      const tagged = await get(`/v2/${byTag!.repository}/manifests/1`);
      expect(tagged.text).toBe(byTag!.manifest);
      const first = await get(`/v2/${byDigest!.repository}/manifests/${byDigest!.digest}`);
      expect(first.text).toBe(byDigest!.manifest);
      // Asked by digest afterwards: from cache if the first fetch stored it.
      const afterTag = await get(`/v2/${byTag!.repository}/manifests/${byTag!.digest}`);
      const afterDigest = await get(`/v2/${byDigest!.repository}/manifests/${byDigest!.digest}`);
      expect([budget, afterTag.cache === "MISS"]).toEqual([budget, afterDigest.cache === "MISS"]);
      expect(afterTag.text).toBe(byTag!.manifest);
    },
  );
});
