/**
 * A body that ends short of its Content-Length, or runs past it, never becomes a servable entry: whichever store
 * takes the fill (R2's own check, the Worker's hash, the length check of the Cache API alone), and whether or not the
 * idle watch (whose fixed-length pipe also refuses such a body) is on. The next request goes upstream again.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { HUB, uniqueName } from "../support/fake-registry";
import { callWorker, digestOf, fakeUpstreams, settled } from "../support/fake-upstream";

beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

const PLANS = [
  ["R2 bound", {}],
  ["the Cache API, hashed", { BLOBS: undefined, CACHE_CPU_BUDGET_MS: "300000" }],
  ["the Cache API, length-checked", { BLOBS: undefined, CACHE_CPU_BUDGET_MS: "1" }],
] as const;
const WATCH = [
  ["the idle watch on", {}],
  ["the idle watch off", { UPSTREAM_IDLE_TIMEOUT_SECONDS: "0" }],
] as const;

describe.each(PLANS)("with %s", (_plan, planVars) => {
  describe.each(WATCH)("and %s", (_watch, watchVars) => {
    it.each([
      ["too few bytes", -4096],
      ["too many bytes", 4096],
    ])("an upstream that sends %s stores nothing servable", async (_label, extra) => {
      const layer = new Uint8Array(1_000_000).map((_, i) => i % 251);
      layer.set(crypto.getRandomValues(new Uint8Array(65_536))); // unique per case: the cache outlives a test
      const digest = await digestOf(layer);
      const sent =
        extra < 0 ? layer.slice(0, layer.length + extra) : new Uint8Array([...layer, ...new Uint8Array(extra)]);
      const fake = fakeUpstreams({
        [HUB]: () =>
          new Response(
            new ReadableStream({
              start(controller) {
                for (let at = 0; at < sent.length; at += 65_536) controller.enqueue(sent.slice(at, at + 65_536));
                controller.close();
              },
            }),
            { headers: { "content-length": String(layer.length) } },
          ),
      });
      const path = `/v2/library/${uniqueName()}/blobs/${digest}`;
      const vars = { ...planVars, ...watchVars };
      for (let i = 0; i < 2; i++) {
        const response = await callWorker(
          `https://example.com${path}`,
          { headers: { authorization: "Bearer x" } },
          vars,
        );
        expect(response.headers.get("x-cache")).toBe("MISS");
        await response.arrayBuffer().catch(() => undefined);
        await settled();
      }
      expect(fake.to(HUB).filter((r) => r.method === "GET" && r.url.pathname === path)).toHaveLength(2);
    });
  });
});
