/**
 * Fills on the shipped defaults (free plan, no R2, CACHE_CPU_BUDGET_MS=10): a layer too large to hash within the
 * budget is still kept, stored natively and pointed to only once the stored entry is known to hold exactly its
 * Content-Length. What the client gets, what is stored and what is served later, for an upstream that sends too few
 * bytes, too many, or the right number of wrong ones; and a bad object, once a verifying read finds it, is evicted.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ANONYMOUS, bearer, fakeHub, HUB, makeImage, uniqueName } from "../support/fake-registry";
import { callWorker, digestOf, fakeUpstreams, settled } from "../support/fake-upstream";

/** The Cache API alone, as the defaults have it. */
const NO_R2 = { BLOBS: undefined };
/** A budget no hash fits: every blob is stored length-checked (as a layer over ~10 MB is on the defaults). */
const LENGTH_ONLY = { ...NO_R2, CACHE_CPU_BUDGET_MS: "1" };
/** A paid plan's budget: every read of a length-checked entry can hash it. */
const PAID = { ...NO_R2, CACHE_CPU_BUDGET_MS: "300000" };

beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
});

/** `size` bytes, unique per call (the cache outlives a test): a random first 64 KiB, then a pattern. */
function layerOf(size: number): Uint8Array {
  const bytes = new Uint8Array(size).map((_, i) => i % 251);
  bytes.set(crypto.getRandomValues(new Uint8Array(Math.min(size, 65_536))));
  return bytes;
}

async function call(path: string, vars: Record<string, unknown>, authorization = "Bearer anonymous") {
  const response = await callWorker(`https://example.com${path}`, { headers: { authorization } }, vars);
  const body = await response
    .arrayBuffer()
    .then((b) => new Uint8Array(b))
    .catch(() => undefined);
  await settled();
  return { status: response.status, cache: response.headers.get("x-cache"), body };
}

/** The upstream GETs of the blob itself (an anonymous probe first asks /v2/ for the realm). */
function blobGets(fake: ReturnType<typeof fakeUpstreams>, path: string) {
  return fake.to(HUB).filter((r) => r.method === "GET" && r.url.pathname === path);
}

/** An upstream body that says `declared` bytes and sends `bytes`, then ends (too few or too many). */
function lyingBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 65_536)
        controller.enqueue(bytes.slice(offset, offset + 65_536));
      controller.close();
    },
  });
}

describe("on the defaults (free plan, no R2)", () => {
  it("a 16 MB layer, too large to hash in 10 ms, is stored on the miss and the next GET is a HIT with the same bytes", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1", layerOf(16_000_000));
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const get = () => call(path, NO_R2, bearer(ANONYMOUS, path));
    const miss = await get();
    const since = hub.mark();
    const hit = await get();
    expect([miss.cache, hit.cache]).toEqual(["MISS", "HIT"]);
    expect(await digestOf(hit.body!)).toBe(image.layerDigest);
    expect(since()).toEqual([]);
  });
});

describe("a fill is servable only once it is known complete and whole", () => {
  it.each([
    ["too few bytes (the connection closes early)", -4096],
    ["too many bytes (more than its Content-Length)", 4096],
  ])("an upstream that sends %s: nothing is stored, the next request goes upstream", async (_label, extra) => {
    const layer = layerOf(2_000_000);
    const digest = await digestOf(layer);
    const sent = extra < 0 ? layer.slice(0, layer.length + extra) : new Uint8Array([...layer, ...layerOf(extra)]);
    const fake = fakeUpstreams({
      [HUB]: () => new Response(lyingBody(sent), { headers: { "content-length": String(layer.length) } }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${digest}`;
    await call(path, LENGTH_ONLY); // the client gets what the upstream sent; its own digest check refuses it
    const again = await call(path, LENGTH_ONLY);
    expect(again.cache).toBe("MISS");
    expect(blobGets(fake, path)).toHaveLength(2);
  });

  it("an upstream whose Docker-Content-Digest names another digest is not stored unhashed", async () => {
    const layer = layerOf(2_000_000);
    const digest = await digestOf(layer);
    // Its GET names another digest; its HEAD (the sharing probe) the right one, so only the fill decides.
    const fake = fakeUpstreams({
      [HUB]: async (request) =>
        new Response(layer, {
          headers: {
            "content-length": String(layer.length),
            "docker-content-digest": request.method === "GET" ? await digestOf("other") : digest,
          },
        }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${digest}`;
    await call(path, LENGTH_ONLY);
    expect((await call(path, LENGTH_ONLY)).cache).toBe("MISS");
    expect(blobGets(fake, path)).toHaveLength(2);
  });
});

describe("wrong bytes of the right length", () => {
  it("within the budget they are hashed and not stored", async () => {
    const requested = await digestOf(layerOf(64));
    const served = layerOf(2_000_000);
    const fake = fakeUpstreams({
      [HUB]: () => new Response(served, { headers: { "content-length": String(served.length) } }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${requested}`;
    expect(await digestOf((await call(path, PAID)).body!)).toBe(await digestOf(served));
    expect((await call(path, PAID)).cache).toBe("MISS");
    expect(blobGets(fake, path)).toHaveLength(2);
  });

  it("beyond it they are kept length-checked, served as sent (clients verify), and evicted by the first verifying read", async () => {
    const requested = await digestOf(layerOf(64));
    const served = layerOf(2_000_000);
    const fake = fakeUpstreams({
      [HUB]: () => new Response(served, { headers: { "content-length": String(served.length) } }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${requested}`;
    const miss = await call(path, LENGTH_ONLY);
    const unverified = await call(path, LENGTH_ONLY);
    expect([miss.cache, unverified.cache]).toEqual(["MISS", "HIT"]);
    // What the upstream sent for that digest: the client's own digest check refuses it.
    expect(await digestOf(unverified.body!)).toBe(await digestOf(served));
    // A read that can afford the hash (a paid budget here) verifies it, finds the mismatch and evicts it.
    const verifying = await call(path, PAID);
    expect(verifying.cache).toBe("HIT");
    const after = await call(path, LENGTH_ONLY);
    expect(after.cache).toBe("MISS");
    expect(blobGets(fake, path)).toHaveLength(2);
  });

  it("a length-checked entry that does hash to its digest keeps being served after a verifying read", async () => {
    const layer = layerOf(2_000_000);
    const digest = await digestOf(layer);
    const fake = fakeUpstreams({
      [HUB]: () => new Response(layer, { headers: { "content-length": String(layer.length) } }),
    });
    const path = `/v2/library/${uniqueName()}/blobs/${digest}`;
    await call(path, LENGTH_ONLY);
    expect((await call(path, PAID)).cache).toBe("HIT");
    const after = await call(path, LENGTH_ONLY);
    expect(after.cache).toBe("HIT");
    expect(await digestOf(after.body!)).toBe(digest);
    expect(blobGets(fake, path)).toHaveLength(1);
  });
});
