/**
 * What /stats counts, through the whole Worker: pulls of a tag, cache hits and the upstream requests they saved,
 * bytes by where they came from, the most pulled repositories; one store request per isolate per flush interval,
 * exact counts when requests and reads overlap, and counts shown at once by the isolate that made them.
 */
import { describe, expect, it, vi } from "vitest";
import { FLUSH_INTERVAL_MS } from "../../../src/stats/tally";
import { ANONYMOUS, bearer, fakeHub, makeImage, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";
import { ownStore, readStats, settle } from "./support";

const ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

describe("counting", () => {
  it("counts pulls by tag, hits, requests avoided, bytes and the repository pulled", async () => {
    const store = ownStore();
    const image = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [image] });
    const get = async (path: string) => {
      const response = await callWorker(
        `https://mirror.example.org${path}`,
        { headers: { authorization: bearer(ANONYMOUS, path), accept: ACCEPT } },
        store.vars,
      );
      await response.arrayBuffer();
      await settle(store.vars);
      return response.headers.get("x-cache");
    };
    const tag = `/v2/${image.repository}/manifests/latest`;
    const blob = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    expect([await get(tag), await get(tag), await get(`/v2/${image.repository}/manifests/${image.digest}`)]).toEqual([
      "MISS",
      "HIT",
      "HIT",
    ]);
    expect([await get(blob), await get(blob)]).toEqual(["MISS", "HIT"]);
    const since = hub.mark();
    const stats = await readStats(store.vars);
    expect(since()).toEqual([]);
    expect(stats).toMatchObject({
      requests: 5,
      pulls: 2,
      cache: { hits: 3, misses: 2, revalidated: 0, stale: 0 },
      upstreamRequestsAvoided: 3,
      bytes: {
        fromCache: image.manifest.length * 2 + image.layer.length,
        fromUpstream: image.manifest.length + image.layer.length,
      },
      rateLimited: 0,
      top: [{ route: "docker", repository: image.repository, pulls: 2 }],
    });
    expect(stats.hours.at(-1)).toMatchObject({ requests: 5, pulls: 2, hits: 3, misses: 2 });
    expect(Date.parse(stats.since ?? "")).toBe(Date.parse(stats.hours.at(-1)?.start ?? ""));
  });

  it("counts a HEAD, a digest and an error as requests but not as pulls, and 429s as rate limited", async () => {
    const store = ownStore();
    const vars = { ...store.vars, RATE_LIMITER: { limit: async () => ({ success: false }) } };
    const image = await makeImage(`library/${uniqueName()}`, "1");
    fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/1`;
    for (const method of ["HEAD", "GET"]) {
      const response = await callWorker(`https://mirror.example.org${path}`, { method }, vars);
      expect(response.status).toBe(429);
      await response.arrayBuffer();
    }
    await settle(store.vars);
    expect(await readStats(store.vars)).toMatchObject({ requests: 2, pulls: 0, rateLimited: 2, top: [] });
  });

  it("shows the isolate's own requests at once, without a later request to flush them", async () => {
    const store = ownStore();
    await (await callWorker("https://mirror.example.org/robots.txt", {}, store.vars)).text();
    expect(store.calls).toEqual([]);
    expect((await readStats(store.vars)).requests).toBe(1);
    await settle(store.vars);
  });

  it("writes a burst of requests in one store request, FLUSH_INTERVAL_MS after the first", async () => {
    const store = ownStore();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      for (let i = 0; i < 20; i++)
        await (await callWorker("https://mirror.example.org/robots.txt", {}, store.vars)).text();
      await vi.advanceTimersByTimeAsync(FLUSH_INTERVAL_MS - 1);
      expect(store.calls).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      await settled();
      expect(store.calls).toEqual(["add"]);
    } finally {
      vi.useRealTimers();
    }
    expect((await readStats(store.vars)).requests).toBe(20);
    expect(store.calls).toEqual(["add", "read"]);
    await settle(store.vars);
  });

  it("keeps counts exact when requests, flushes and reads overlap", async () => {
    const store = ownStore();
    // Four waves, each of nine requests and a read of /stats (which flushes) all in flight together.
    for (let wave = 0; wave < 4; wave++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i === 5
            ? readStats(store.vars)
            : callWorker("https://mirror.example.org/robots.txt", {}, store.vars).then((r) => r.text()),
        ),
      );
    }
    await settle(store.vars);
    expect((await readStats(store.vars)).requests).toBe(36);
    expect(store.calls.filter((call) => call === "add").length).toBeGreaterThanOrEqual(4);
    await settle(store.vars);
  });

  it("adds concurrent batches from several isolates exactly", async () => {
    const store = ownStore();
    const stub = store.stub() as unknown as { add: (batch: unknown) => Promise<void> };
    const hour = Math.floor(Date.now() / 3_600_000);
    const counts = { requests: 3, pulls: 1, hits: 1, misses: 1, revalidated: 0, stale: 1, avoided: 1 };
    const batch = {
      hours: [{ hour, counts: { ...counts, bytesFromCache: 10, bytesFromUpstream: 5, rateLimited: 0 } }],
      pulls: [{ hour, route: "docker", repository: "library/alpine", pulls: 1 }],
    };
    await Promise.all(Array.from({ length: 25 }, () => stub.add(batch)));
    expect(await readStats(store.vars)).toMatchObject({
      requests: 75,
      pulls: 25,
      cache: { hits: 25, misses: 25, revalidated: 0, stale: 25 },
      bytes: { fromCache: 250, fromUpstream: 125 },
      top: [{ route: "docker", repository: "library/alpine", pulls: 25 }],
    });
    await settle(store.vars);
  });
});
