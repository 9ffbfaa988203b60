/**
 * What a fallback may answer (#23): a manifest or blob asked by digest is accepted only if it is that digest, and
 * stored under the route's registry (so served later without asking anyone) only hash-checked; a manifest is hashed
 * before the client gets a byte, so other bytes are a 502 and nothing is kept, with the cache on or off. A tag a
 * fallback answered is recorded for TAG_TTL_SECONDS at most, then asked of the route's registry again.
 */
import { describe, expect, it, vi } from "vitest";
import { fakeFallback } from "../support/fake-fallback";
import { ANONYMOUS, bearer, fakeHub, freshRepository, makeImage } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

/** The Hub as Docker Hub is once an IP's quota is spent: every manifest GET refused, HEADs answered. */
const refusingGets = (request: Request, url: URL) =>
  request.method === "GET" && url.pathname.includes("/manifests/")
    ? new Response("slow down", { status: 429, headers: { "retry-after": "90" } })
    : undefined;

async function setUp(hubRefuses: (request: Request, url: URL) => Response | undefined = refusingGets) {
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  const image = await makeImage(freshRepository(), "1");
  const fallback = fakeFallback("mirror.gcr.io", [image]);
  const hub = fakeHub({ images: [image], registry: hubRefuses, extra: fallback.hosts });
  // As a client that got an anonymous Hub token through the mirror's /token: it goes to the Hub, never to a fallback.
  const get = (path: string, vars: Record<string, unknown> = {}) => {
    const url = `/v2/${image.repository}/${path}`;
    return callWorker(`https://example.com${url}`, { headers: { authorization: bearer(ANONYMOUS, url) } }, vars);
  };
  return { image, hub, fallback, get };
}

describe("what a fallback may answer for a digest", () => {
  it("a manifest that hashes to the digest is served, and stored under the route's registry", async () => {
    const { image, hub, get } = await setUp();
    const first = await get(`manifests/${image.digest}`);
    expect(await first.text()).toBe(image.manifest);
    expect(first.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    await settled();
    const since = hub.mark();
    const second = await get(`manifests/${image.digest}`);
    expect(await second.text()).toBe(image.manifest);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(second.headers.has("x-edgehub-upstream")).toBe(false);
    expect(since()).toEqual([]);
  });

  it("a manifest with other bytes is refused (502) before the client sees any, and nothing is kept", async () => {
    const { image, fallback, get } = await setUp();
    fallback.state.wrongBytes = true;
    const refused = await get(`manifests/${image.digest}`);
    expect(refused.status).toBe(502);
    expect(await refused.text()).toContain(`fallback mirror.gcr.io did not answer ${image.digest}`);
    await settled();
    fallback.state.wrongBytes = false;
    const answered = await get(`manifests/${image.digest}`);
    expect(answered.headers.get("x-cache")).toBe("MISS");
    expect(await answered.text()).toBe(image.manifest);
  });

  it("with the cache off, a manifest with other bytes is refused all the same", async () => {
    const { image, fallback, get } = await setUp();
    fallback.state.wrongBytes = true;
    expect((await get(`manifests/${image.digest}`, { CACHE: "off" })).status).toBe(502);
  });

  it("a blob whose Docker-Content-Digest names another digest is refused (502)", async () => {
    const { image, fallback, get } = await setUp(() => new Response(null, { status: 429 }));
    fallback.state.namedDigest = image.digest;
    const refused = await get(`blobs/${image.layerDigest}`);
    expect(refused.status).toBe(502);
    await refused.body?.cancel();
  });

  it("a blob is streamed, and stored hash-checked: served later from the cache", async () => {
    let refusing = true;
    const { image, hub, get } = await setUp((_request, url) =>
      refusing && url.pathname !== "/v2/" ? new Response(null, { status: 429 }) : undefined,
    );
    const first = await get(`blobs/${image.layerDigest}`);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(image.layer);
    expect(first.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    await settled();
    // Who may have it is the Hub's word alone (a fallback's HEAD admits no cached byte): once it answers again, this
    // client's access is checked there (a HEAD), and the bytes the fallback served come from the cache.
    refusing = false;
    const since = hub.mark();
    const second = await get(`blobs/${image.layerDigest}`);
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(image.layer);
    expect(["HIT", "REVALIDATED"]).toContain(second.headers.get("x-cache"));
    expect(since().filter((request) => request.startsWith("GET"))).toEqual([]);
  });
});

describe("a tag a fallback answered", () => {
  it("is served and recorded for TAG_TTL_SECONDS at most: past it, no stale copy stands in for the Hub", async () => {
    const { image, hub, fallback, get } = await setUp();
    const vars = { TAG_TTL_SECONDS: "1" };
    const first = await get(`manifests/${image.tag}`, vars);
    expect(await first.text()).toBe(image.manifest);
    expect(first.headers.get("x-edgehub-upstream")).toBe("mirror.gcr.io");
    await settled();
    const fresh = await get(`manifests/${image.tag}`, vars);
    expect(fresh.headers.get("x-cache")).toBe("HIT");
    await fresh.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Everyone fails now. A record of the Hub's own answer would be served STALE for days; the fallback's is gone.
    hub.state.failure = 503;
    fallback.state.status = 503;
    const later = await get(`manifests/${image.tag}`, vars);
    expect(later.headers.get("x-cache")).not.toBe("STALE");
    expect(later.status).toBe(503);
    await later.body?.cancel();
  });
});
