/**
 * Manifests by tag: fresh records answer alone, stale ones are revalidated with an upstream HEAD, and when the
 * upstream fails (5xx, 429, unreachable, no answer) a cached public manifest stands in, saying so.
 */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, bearer, type Failure, fakeHub, HUB, makeImage, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

const ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/** GETs (or HEADs) a path as a Docker Hub client would, waits for the Worker's background work, and reads the body. */
async function pull(path: string, vars: Record<string, unknown> = {}, method = "GET") {
  const response = await callWorker(
    `https://example.com${path}`,
    { method, headers: { authorization: bearer(ANONYMOUS, path), accept: ACCEPT } },
    vars,
  );
  const text = await response.text();
  await settled();
  return { response, text, cache: response.headers.get("x-cache") };
}

describe("a manifest by tag", () => {
  it("is served from a fresh record with no upstream request, GET and HEAD alike", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/latest`;
    const first = await pull(path);
    const since = hub.mark();
    const second = await pull(path);
    const head = await pull(path, {}, "HEAD");
    expect([first.cache, second.cache, head.cache]).toEqual(["MISS", "HIT", "HIT"]);
    expect(second.text).toBe(image.manifest);
    expect(head.response.headers.get("docker-content-digest")).toBe(image.digest);
    expect(head.response.headers.get("content-length")).toBe(String(image.manifest.length));
    expect(since()).toEqual([]);
  });

  it("is shared between alpine and library/alpine", async () => {
    const name = uniqueName();
    const image = await makeImage(`library/${name}`, "3");
    const hub = fakeHub({ images: [image] });
    await pull(`/v2/${name}/manifests/3`);
    const since = hub.mark();
    expect((await pull(`/v2/library/${name}/manifests/3`)).cache).toBe("HIT");
    expect(since()).toEqual([]);
  });

  it("once stale, is revalidated with one upstream HEAD (not a GET) and served from cache when unchanged", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/latest`;
    await pull(path, { TAG_TTL_SECONDS: "0" });
    const since = hub.mark();
    const again = await pull(path, { TAG_TTL_SECONDS: "0" });
    expect(again.cache).toBe("REVALIDATED");
    expect(again.text).toBe(image.manifest);
    expect(since()).toEqual([`HEAD ${HUB}${path}`]);
  });

  it("for a client with other Accept types, is HEADs (not a pull) when the tag names a manifest already cached", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/latest`;
    await pull(path);
    const since = hub.mark();
    const other = await callWorker(`https://example.com${path}`, {
      headers: { authorization: bearer(ANONYMOUS, path), accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(await other.text()).toBe(image.manifest);
    expect(other.headers.get("x-cache")).toBe("REVALIDATED");
    await settled();
    // The client's HEAD, then an anonymous probe of the tag before its new record may answer anyone: no GET.
    expect(since()[0]).toBe(`HEAD ${HUB}${path}`);
    expect(since().filter((r) => r.startsWith(`GET ${HUB}`))).toEqual([]);
  });

  it("answers a client without a token with the upstream's challenge after one upstream request", async () => {
    const hub = fakeHub({ images: [] });
    const response = await callWorker(`https://example.com/v2/library/${uniqueName()}/manifests/latest`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('realm="https://example.com/token"');
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("UNAUTHORIZED");
    expect(hub.registryPaths()).toHaveLength(1);
  });

  it("follows the tag when the upstream HEAD names a new digest: the new manifest is fetched and cached", async () => {
    const repository = `library/${uniqueName()}`;
    const old = await makeImage(repository, "latest");
    const hub = fakeHub({ images: [old] });
    const path = `/v2/${repository}/manifests/latest`;
    await pull(path, { TAG_TTL_SECONDS: "0" });
    const pushed = await makeImage(repository, "latest");
    hub.push(pushed);
    const since = hub.mark();
    const moved = await pull(path, { TAG_TTL_SECONDS: "0" });
    expect(moved.cache).toBe("MISS");
    expect(moved.text).toBe(pushed.manifest);
    expect(
      since()
        .filter((r) => r.startsWith(`GET ${HUB}`) || r.startsWith(`HEAD ${HUB}${path}`))
        .slice(0, 2),
    ).toEqual([`HEAD ${HUB}${path}`, `GET ${HUB}${path}`]);
    const after = hub.mark();
    expect((await pull(path)).cache).toBe("HIT");
    expect((await pull(`/v2/${repository}/manifests/${pushed.digest}`)).cache).toBe("HIT");
    expect(after()).toEqual([]);
  });

  it.each<[string, Failure, Record<string, string>]>([
    ["a 503", 503, {}],
    ["a 429", 429, {}],
    ["a network error", "unreachable", {}],
    ["a timeout", "hang", { UPSTREAM_TIMEOUT_SECONDS: "0.05" }],
  ])("is served stale when revalidation meets %s, saying so", async (_label, failure, vars) => {
    const image = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/latest`;
    await pull(path);
    hub.state.failure = failure;
    const stale = await pull(path, { TAG_TTL_SECONDS: "0", ...vars });
    expect(stale.response.status).toBe(200);
    expect(stale.cache).toBe("STALE");
    expect(stale.response.headers.get("warning")).toBe('111 - "Revalidation Failed"');
    expect(stale.text).toBe(image.manifest);
    const head = await pull(path, { TAG_TTL_SECONDS: "0", ...vars }, "HEAD");
    expect([head.response.status, head.cache]).toEqual([200, "STALE"]);
  });

  it.each<[string, Failure, number]>([
    ["a 503", 503, 503],
    ["a 429", 429, 429],
    ["a network error", "unreachable", 502],
  ])("without a cached copy, returns the upstream's error for %s as before", async (_label, failure, status) => {
    const hub = fakeHub({ images: [] });
    hub.state.failure = failure;
    const response = await pull(`/v2/library/${uniqueName()}/manifests/latest`);
    expect(response.response.status).toBe(status);
    expect(response.cache).toBe("MISS");
    if (failure === 429) expect(response.response.headers.get("retry-after")).toBe("30");
  });
});

describe("/v2/", () => {
  it("answers the version check itself while the upstream is unreachable, so cached images stay pullable", async () => {
    const hub = fakeHub({ images: [] });
    hub.state.failure = "unreachable";
    const response = await callWorker("https://example.com/v2/");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-cache")).toBe("STALE");
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
  });

  it("after a STALE /v2/ (what an uptime monitor sees), the next request that needs the upstream says it is failing", async () => {
    const hub = fakeHub({ images: [] });
    hub.state.failure = "unreachable";
    const base = await callWorker("https://example.com/v2/");
    expect([base.status, base.headers.get("x-cache"), await base.text()]).toEqual([200, "STALE", "{}"]);
    const next = await pull(`/v2/library/${uniqueName()}/manifests/latest`);
    expect([next.response.status, next.cache]).toEqual([502, "MISS"]);
    expect(JSON.parse(next.text)).toMatchObject({
      errors: [{ code: "UNAVAILABLE", message: expect.stringContaining("route docker") }],
    });
  });

  it("passes the upstream's challenge through while it answers", async () => {
    fakeHub({ images: [] });
    const response = await callWorker("https://example.com/v2/");
    expect(response.status).toBe(401);
    expect(response.headers.get("x-cache")).toBeNull(); // the upstream answered; no cache was asked
  });
});
