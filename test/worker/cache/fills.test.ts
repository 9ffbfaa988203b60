/**
 * Fills within the CPU budget, and one fill per object for concurrent misses: a blob whose fill would cost more CPU
 * than CACHE_CPU_BUDGET_MS streams through intact and uncached; two concurrent misses make one upstream GET; a leader
 * whose client goes away mid-stream leaves its followers to fetch for themselves within their bound.
 */
import { describe, expect, it } from "vitest";
import { FOLLOWER_WAIT_MS } from "../../../src/cache/flight";
import { ANONYMOUS, bearer, fakeHub, HUB, makeImage, STORAGE_MODES, uniqueName } from "../support/fake-registry";
import { callWorker, digestOf, fakeUpstreams, settled } from "../support/fake-upstream";

/** A budget the small test layers fit and a 2 MB layer does not, unless R2 checks the digest (budget.ts rates). */
const BUDGET = { CACHE_CPU_BUDGET_MS: "3" };

async function get(path: string, vars: Record<string, unknown>) {
  const response = await callWorker(
    `https://example.com${path}`,
    { headers: { authorization: bearer(ANONYMOUS, path) } },
    vars,
  );
  const body = new Uint8Array(await response.arrayBuffer());
  return { body, cache: response.headers.get("x-cache"), status: response.status };
}

describe("the CPU budget", () => {
  /** 2 MB, unique per call (the cache outlives a test): a random first 64 KiB, then a pattern. */
  const big = () => {
    const bytes = new Uint8Array(2_000_000).map((_, i) => i % 251);
    bytes.set(crypto.getRandomValues(new Uint8Array(65_536)));
    return bytes;
  };

  it("without R2, a blob whose fill exceeds the budget streams intact and is not stored; a small one is stored and verified", async () => {
    const large = await makeImage(`library/${uniqueName()}`, "1", big());
    const small = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [large, small] });
    const vars = { ...BUDGET, BLOBS: undefined };
    const largePath = `/v2/${large.repository}/blobs/${large.layerDigest}`;
    const smallPath = `/v2/${small.repository}/blobs/${small.layerDigest}`;
    const first = [await get(largePath, vars), await get(smallPath, vars)];
    await settled();
    const second = [await get(largePath, vars), await get(smallPath, vars)];
    expect(first.map((r) => r.cache)).toEqual(["MISS", "MISS"]);
    expect(second.map((r) => r.cache)).toEqual(["MISS", "HIT"]);
    expect(await digestOf(first[0]!.body)).toBe(large.layerDigest);
    expect(await digestOf(second[0]!.body)).toBe(large.layerDigest);
    expect(await digestOf(second[1]!.body)).toBe(small.layerDigest);
    expect(hub.registryPaths().filter((r) => r === `GET ${largePath}`)).toHaveLength(2);
  });

  it("with R2, the same blob is stored: R2 checks its digest, and the Worker spends no CPU per byte hashing", async () => {
    const large = await makeImage(`library/${uniqueName()}`, "1", big());
    fakeHub({ images: [large] });
    const path = `/v2/${large.repository}/blobs/${large.layerDigest}`;
    await get(path, BUDGET);
    await settled();
    const again = await get(path, BUDGET);
    expect(again.cache).toBe("HIT");
    expect(await digestOf(again.body)).toBe(large.layerDigest);
  });
});

describe.each(STORAGE_MODES)("single flight, with %s", (_mode, bindings) => {
  it("two concurrent misses of one digest make one upstream GET", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const answers = await Promise.all([get(path, bindings), get(path, bindings)]);
    for (const answer of answers) expect(answer.body).toEqual(image.layer);
    expect(answers.map((a) => a.cache).sort()).toEqual(["HIT", "MISS"]);
    expect(hub.registryPaths().filter((r) => r === `GET ${path}`)).toHaveLength(1);
  });

  it("two concurrent misses of one public tag make one upstream manifest GET", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/1`;
    const answers = await Promise.all([get(path, bindings), get(path, bindings)]);
    for (const answer of answers) expect(await digestOf(answer.body)).toBe(image.digest);
    expect(answers.map((a) => a.cache).sort()).toEqual(["HIT", "MISS"]);
    expect(hub.registryPaths().filter((r) => r === `GET ${path}`)).toHaveLength(1);
  });

  it("a leader cancelled mid-stream lets its follower fetch for itself within the follower's bound", async () => {
    const layer = crypto.getRandomValues(new Uint8Array(64 * 1024));
    const digest = await digestOf(layer);
    const path = `/v2/library/${uniqueName()}/blobs/${digest}`;
    let stalled: ReadableStreamDefaultController<Uint8Array> | undefined;
    const fake = fakeUpstreams({
      [HUB]: () => {
        const headers = { "content-length": String(layer.length), "docker-content-digest": digest };
        if (stalled) return new Response(layer, { headers });
        // The first GET sends one chunk and then nothing, until the test ends it.
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => ((stalled = controller), controller.enqueue(layer.slice(0, 1024))),
        });
        return new Response(body, { headers });
      },
    });
    const leader = await callWorker(`https://example.com${path}`, {}, bindings);
    const reader = leader.body!.getReader();
    await reader.read();
    const started = Date.now();
    const follower = get(path, bindings);
    await reader.cancel();
    const answer = await follower;
    expect(Date.now() - started).toBeLessThan(FOLLOWER_WAIT_MS + 2000);
    expect(answer.body).toEqual(layer);
    expect(fake.to(HUB).filter((r) => r.method === "GET")).toHaveLength(2);
    // End it short of its length (unless the fill already gave up on it): the leader's fill keeps nothing.
    closeQuietly(stalled!);
    await settled();
  }, 20_000);
});

function closeQuietly(controller: ReadableStreamDefaultController<Uint8Array>): void {
  try {
    controller.close();
  } catch {
    // already closed or cancelled: the fill gave up on its own
  }
}
