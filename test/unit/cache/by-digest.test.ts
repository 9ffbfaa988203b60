/**
 * The cache step against fakes: a CacheStore and an Origin that count their calls, so single flight and the CPU
 * budget are checked without the Cache API or the network.
 */
import { describe, expect, it } from "vitest";
import { serveByDigest } from "../../../src/cache/by-digest";
import type { CachedContent, CacheStore, ContentMeta } from "../../../src/cache/content";
import type { CacheRequest, Origin } from "../../../src/cache/context";
import { parseConfig } from "../../../src/config/config";
import { routeRequest } from "../../../src/routing/route";
import type { ObjectTarget } from "../../../src/routing/target";

const DIGEST = `sha256:${"ab".repeat(32)}`;

/** A store in memory that counts puts; content is kept as whatever the put read. */
function fakeStore() {
  const content = new Map<string, { bytes: Uint8Array; meta: ContentMeta }>();
  const records = new Map<string, unknown>();
  const calls = { getContent: 0, putContent: 0 };
  const store: CacheStore = {
    async getContent(key) {
      calls.getContent++;
      const held = content.get(key);
      if (!held) return undefined;
      const headers = new Headers({
        "content-type": held.meta.contentType,
        "content-length": String(held.bytes.length),
      });
      return { status: 200, headers, body: new Response(held.bytes).body } satisfies CachedContent;
    },
    async putContent(key, body, meta) {
      calls.putContent++;
      content.set(key, { bytes: new Uint8Array(await new Response(body).arrayBuffer()), meta });
    },
    async putBytes(key, bytes, meta) {
      content.set(key, { bytes, meta });
    },
    async getRecord<T>(key: string) {
      return records.get(key) as T | undefined;
    },
    async putRecord(key, value) {
      records.set(key, value);
    },
  };
  return { store, calls };
}

/** An anonymous upstream that serves `size` declared bytes (a small body: nothing here checks the digest). */
function fakeOrigin(size: number) {
  const calls = { fetch: 0 };
  const origin: Origin = {
    async fetch() {
      calls.fetch++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return new Response(new Uint8Array(16), {
        headers: { "content-length": String(size), "docker-content-digest": DIGEST },
      });
    },
    fetchAnonymously: () => Promise.reject(new Error("not asked: the request carried no credentials")),
    sendsCredentials: () => false,
  };
  return { origin, calls };
}

function request(store: CacheStore, origin: Origin, vars: Record<string, string> = {}, blobs?: R2Bucket) {
  const config = { ...parseConfig(vars), ...(blobs ? { blobs } : {}) };
  const url = new URL(`https://mirror.example/v2/library/alpine/blobs/${DIGEST}`);
  const target = routeRequest("GET", url, config) as ObjectTarget;
  const deferred: Promise<unknown>[] = [];
  const cx: CacheRequest = {
    request: new Request(url),
    url,
    target,
    config,
    trace: { upstreamMs: 0 },
    cache: store,
    origin,
    defer: (work) => deferred.push(work),
  };
  return { cx, settled: () => Promise.all(deferred) };
}

describe("serveByDigest with a fake store and origin", () => {
  it("two concurrent misses of one digest: one upstream fetch, one put, and the follower answers from the store", async () => {
    const { store, calls } = fakeStore();
    const upstream = fakeOrigin(16);
    const [a, b] = [request(store, upstream.origin), request(store, upstream.origin)];
    const answers = await Promise.all([
      serveByDigest(a.cx),
      serveByDigest(b.cx).then(async (answer) => (await a.settled(), answer)),
    ]);
    // The leader's fill lands only once its client branch is read: read it, as a client would.
    await Promise.all(
      answers.map((answer) => (answer.source === "upstream" ? answer.response.arrayBuffer() : undefined)),
    );
    await Promise.all([a.settled(), b.settled()]);
    expect(upstream.calls.fetch).toBe(1);
    expect(calls.putContent).toBe(1);
    expect(answers.map((answer) => answer.source).sort()).toEqual(["cache", "upstream"]);
  });

  it.each([
    ["without R2, 100 MB is over the 10 ms budget: not stored", 100_000_000, undefined, 0],
    ["without R2, 1 MB fits: stored", 1_000_000, undefined, 1],
    ["with R2, 20 MB fits (R2 checks the digest): stored", 20_000_000, {} as R2Bucket, 1],
  ])("%s", async (_label, size, blobs, puts) => {
    const { store, calls } = fakeStore();
    const { cx, settled } = request(store, fakeOrigin(size).origin, {}, blobs);
    const answer = await serveByDigest(cx);
    expect([answer.source, answer.source === "upstream" && answer.status]).toEqual(["upstream", "MISS"]);
    if (answer.source === "upstream") await answer.response.body?.cancel();
    await settled().catch(() => undefined);
    expect(calls.putContent).toBe(puts);
  });
});
