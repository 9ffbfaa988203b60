/**
 * A manifest fetched by tag is stored under the same CPU-budget rule as one fetched by digest (#21): a fill the
 * budget (CACHE_CPU_BUDGET_MS) does not cover streams through uncached. Both storage modes.
 */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, bearer, fakeHub, HUB, makeImage, STORAGE_MODES, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  it("a manifest by tag over the budget is served but not stored: the same manifest by digest is fetched again", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const vars = { ...bindings, CACHE_CPU_BUDGET_MS: "1" };
    const get = async (path: string) => {
      const response = await callWorker(
        `https://example.com${path}`,
        { headers: { authorization: bearer(ANONYMOUS, path) } },
        vars,
      );
      const text = await response.text();
      await settled();
      return { text, cache: response.headers.get("x-cache") };
    };
    expect(await get(`/v2/${image.repository}/manifests/1`)).toEqual({ text: image.manifest, cache: "MISS" });
    const since = hub.mark();
    const byDigest = `/v2/${image.repository}/manifests/${image.digest}`;
    expect(await get(byDigest)).toEqual({ text: image.manifest, cache: "MISS" });
    expect(since()).toContain(`GET ${HUB}${byDigest}`);
  });
});
