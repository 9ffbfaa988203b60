/**
 * The edge cache, end to end through the Worker with the local runtime's real Cache API (and R2): what is served from
 * cache, what still goes upstream, and what every answer says in X-Cache.
 */
import { describe, expect, it, vi } from "vitest";
import { ANONYMOUS, bearer, fakeHub, makeImage, STORAGE_MODES, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  // Docker Hub wants a token even for public images: clients send the anonymous one.
  const get = async (path: string, init: RequestInit = {}, vars: Record<string, unknown> = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", bearer(ANONYMOUS, path));
    const response = await callWorker(`https://example.com${path}`, { ...init, headers }, { ...bindings, ...vars });
    const body = new Uint8Array(await response.arrayBuffer());
    await settled();
    return { response, body, cache: response.headers.get("x-cache") };
  };

  it("a blob is fetched upstream once; the next GET is a HIT that makes no upstream request", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const first = await get(path);
    const since = hub.mark();
    const second = await get(path);
    expect([first.cache, second.cache]).toEqual(["MISS", "HIT"]);
    expect(since()).toEqual([]);
    expect(second.body).toEqual(image.layer);
    expect(second.response.headers.get("docker-content-digest")).toBe(image.layerDigest);
    expect(second.response.headers.get("content-length")).toBe(String(image.layer.length));
  });

  it("CACHE=off sends every request upstream and stores nothing", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const since = hub.mark();
    const off = [await get(path, {}, { CACHE: "off" }), await get(path, {}, { CACHE: "off" })];
    expect(off.map((r) => r.cache)).toEqual([null, null]); // no cache was asked
    expect(off[1]!.body).toEqual(image.layer);
    expect(since().length).toBeGreaterThanOrEqual(2);
    expect((await get(path)).cache).toBe("MISS"); // turned on again: nothing was stored while off
  });

  it("alpine and library/alpine, and another repository with the same layer, share one entry", async () => {
    const name = uniqueName();
    const official = await makeImage(`library/${name}`, "1");
    const other = await makeImage(`someone/${name}`, "1", official.layer);
    const hub = fakeHub({ images: [official, other] });
    await get(`/v2/${name}/blobs/${official.layerDigest}`);
    const since = hub.mark();
    const viaLibrary = await get(`/v2/library/${name}/blobs/${official.layerDigest}`);
    const viaOther = await get(`/v2/someone/${name}/blobs/${official.layerDigest}`);
    expect([viaLibrary.cache, viaOther.cache]).toEqual(["HIT", "HIT"]);
    expect(viaOther.body).toEqual(official.layer);
    expect(since()).toEqual([]);
  });

  it("a manifest by digest is served from cache, and HEAD answers from cache with the GET's headers", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/${image.digest}`;
    const miss = await get(path);
    const since = hub.mark();
    const hit = await get(path);
    const head = await get(path, { method: "HEAD" });
    expect([miss.cache, hit.cache, head.cache]).toEqual(["MISS", "HIT", "HIT"]);
    expect(new TextDecoder().decode(hit.body)).toBe(image.manifest);
    const headers = (r: Response) => Object.fromEntries([...r.headers].filter(([name]) => name !== "x-cache"));
    expect(headers(head.response)).toEqual(headers(hit.response));
    expect(head.body).toHaveLength(0);
    expect(since()).toEqual([]);
  });

  it("a Range request is served from the cached blob with 206 and Content-Range", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    await get(path);
    const since = hub.mark();
    const range = await get(path, { headers: { range: "bytes=100-199" } });
    expect(range.response.status).toBe(206);
    expect(range.cache).toBe("HIT");
    expect(range.response.headers.get("content-range")).toBe(`bytes 100-199/${image.layer.length}`);
    expect(range.body).toEqual(image.layer.slice(100, 200));
    expect(since()).toEqual([]);
  });

  it("a Range request on a miss goes upstream and stores nothing (a part cannot be verified)", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const head = await get(path, { method: "HEAD" });
    const part = await get(path, { headers: { range: "bytes=0-9" } });
    const after = await get(path);
    expect([head.cache, part.cache, after.cache]).toEqual(["MISS", "MISS", "MISS"]);
    expect(part.body).toEqual(image.layer.slice(0, 10));
    expect(
      hub
        .registryPaths()
        .filter((r) => r.endsWith(path))
        .slice(0, 3),
    ).toEqual([`HEAD ${path}`, `GET ${path}`, `GET ${path}`]);
  });

  it("says X-Cache only where the cache was asked: not on tags (never cached), MISS on an error after a miss", async () => {
    fakeHub({ images: [] });
    const tags = await get(`/v2/library/${uniqueName()}/tags/list`);
    const unknown = await get(`/v2/library/${uniqueName()}/manifests/${`sha256:${"0".repeat(64)}`}`);
    expect([tags.cache, unknown.cache]).toEqual([null, "MISS"]);
    expect(unknown.response.status).toBe(404);
  });
});

describe("the log line", () => {
  it("records route, repository, object, cache result, bytes and upstream time, and never a header or query", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    fakeHub({ images: [image] });
    const lines = vi.spyOn(console, "log");
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    for (let i = 0; i < 2; i++) {
      await (
        await callWorker(`https://example.com${path}?ns=docker.io`, {
          headers: { authorization: bearer(ANONYMOUS, path) },
        })
      ).arrayBuffer();
      await settled();
    }
    const logged = lines.mock.calls.map((args) => String(args[0])).filter((line) => line.startsWith('{"method":'));
    const [miss, hit] = logged.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(miss).toMatchObject({
      route: "docker",
      repository: image.repository,
      object: image.layerDigest,
      cache: "MISS",
      bytes: image.layer.length,
      status: 200,
    });
    expect(hit).toMatchObject({ cache: "HIT", bytes: image.layer.length, upstreamMs: 0 });
    expect(typeof miss!.upstreamMs).toBe("number");
    expect(logged.join("\n")).not.toMatch(/anonymous|hubtok|ns=/);
  });
});

describe("with R2 bound", () => {
  it("serves a blob stored by another data centre (another hostname here) from R2, with Range and HEAD", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const headers = { authorization: bearer(ANONYMOUS, path) };
    await (await callWorker(`https://example.com${path}`, { headers })).arrayBuffer();
    await settled();
    const since = hub.mark();
    // The Cache API is per hostname (and per data centre), so a new hostname misses it and finds R2.
    const elsewhere = `https://${uniqueName()}.example.com${path}`;
    const head = await callWorker(elsewhere, { method: "HEAD", headers });
    const range = await callWorker(elsewhere, { headers: { ...headers, range: "bytes=-16" } });
    const full = await callWorker(elsewhere, { headers });
    expect([head, range, full].map((r) => r.headers.get("x-cache"))).toEqual(["HIT", "HIT", "HIT"]);
    expect(head.headers.get("content-length")).toBe(String(image.layer.length));
    expect(range.status).toBe(206);
    expect(range.headers.get("content-range")).toBe(
      `bytes ${image.layer.length - 16}-${image.layer.length - 1}/${image.layer.length}`,
    );
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(image.layer.slice(-16));
    expect(new Uint8Array(await full.arrayBuffer())).toEqual(image.layer);
    expect(since()).toEqual([]);
  });
});
