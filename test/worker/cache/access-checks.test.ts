/**
 * Caching must not leak: what the upstream serves only with a client's credentials is never served from cache to a
 * request the upstream would refuse, by tag or by digest. Public content is shared, even when the client that first
 * fetched it carried credentials (an anonymous probe decides).
 */
import { describe, expect, it } from "vitest";
import {
  ANONYMOUS,
  AUTH,
  bearer,
  type FakeImage,
  fakeHub,
  HUB,
  type Identity,
  makeImage,
  STORAGE_MODES,
  TESTER,
  uniqueName,
} from "../support/fake-registry";
import { callWorker, digestOf, fakeUpstreams, settled } from "../support/fake-upstream";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  /** One request as a client with `authorization` (none: no header at all); waits for background work. */
  const as = async (who: Identity | undefined, path: string, method = "GET") => {
    const headers: Record<string, string> = who ? { authorization: bearer(who, path) } : {};
    const response = await callWorker(`https://example.com${path}`, { method, headers }, bindings);
    const text = new TextDecoder().decode(await response.arrayBuffer());
    await settled();
    return { status: response.status, text, cache: response.headers.get("x-cache") };
  };

  async function privateImage(): Promise<{ image: FakeImage; hub: ReturnType<typeof fakeHub> }> {
    const image = await makeImage(`private/${uniqueName()}`, "v1");
    return { image, hub: fakeHub({ images: [image], privateRepositories: [image.repository] }) };
  }

  it.each([
    ["a manifest by tag", (i: FakeImage) => `/v2/${i.repository}/manifests/${i.tag}`],
    ["a manifest by digest", (i: FakeImage) => `/v2/${i.repository}/manifests/${i.digest}`],
    ["a blob by digest", (i: FakeImage) => `/v2/${i.repository}/blobs/${i.layerDigest}`],
  ])("%s fetched with credentials never reaches a client the upstream refuses", async (_label, pathOf) => {
    const { image, hub } = await privateImage();
    const path = pathOf(image);
    const owner = await as(TESTER, path);
    expect([owner.status, owner.cache]).toEqual([200, "MISS"]);
    for (const stranger of [ANONYMOUS, undefined]) {
      for (const method of ["GET", "HEAD"]) {
        const refused = await as(stranger, path, method);
        expect([refused.status, refused.cache]).toEqual([401, "MISS"]);
        expect(refused.text).not.toContain("schemaVersion");
      }
    }
    // The owner is still served from cache, after the upstream confirms access with a HEAD (no GET).
    const since = hub.mark();
    const again = await as(TESTER, path);
    expect([again.status, again.cache]).toEqual([200, "REVALIDATED"]);
    expect(since()).toEqual([`HEAD ${HUB}${path}`]);
  });

  it("public content first fetched with credentials is shared after an anonymous probe says so", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "v1");
    const hub = fakeHub({ images: [image] });
    const paths = [`/v2/${image.repository}/manifests/v1`, `/v2/${image.repository}/blobs/${image.layerDigest}`];
    for (const path of paths) expect((await as(TESTER, path)).status).toBe(200);
    const since = hub.mark();
    for (const path of paths) expect((await as(ANONYMOUS, path)).cache).toBe("HIT");
    expect(since()).toEqual([]);
    // The probe asked as nobody: without credentials, then with the anonymous token the realm handed out.
    const tokens = hub.to(AUTH);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((r) => !r.headers.has("authorization"))).toBe(true);
  });

  it("probes each object fetched with credentials, except what a manifest found public names", async () => {
    const name = uniqueName();
    const one = await makeImage(`library/${name}`, "a");
    const two = await makeImage(`library/${name}`, "b");
    const hub = fakeHub({ images: [one, two] });
    // A probe is an anonymous HEAD of the object (its token is shared per repository, so tokens do not count probes).
    const probesOf = (digest: string) =>
      hub.to(HUB).filter((r) => r.method === "HEAD" && r.url.pathname.endsWith(digest) && hub.identityOf(r) !== TESTER);
    await as(TESTER, `/v2/${one.repository}/manifests/a`);
    await as(TESTER, `/v2/${one.repository}/blobs/${one.layerDigest}`);
    expect(hub.to(AUTH)).toHaveLength(1); // the tag's probe
    expect(probesOf(one.layerDigest)).toHaveLength(0); // its layer needed none: the public manifest names it
    await as(TESTER, `/v2/${two.repository}/blobs/${two.layerDigest}`);
    expect(probesOf(two.layerDigest)).toHaveLength(1); // a layer no public manifest named: probed itself
  });

  it("a layer shared by a private and a public repository is served to the public one after an access check", async () => {
    const name = uniqueName();
    const secret = await makeImage(`private/${name}`, "v1");
    const open = await makeImage(`library/${name}`, "v1", secret.layer);
    const hub = fakeHub({ images: [secret, open], privateRepositories: [secret.repository] });
    await as(TESTER, `/v2/${secret.repository}/blobs/${secret.layerDigest}`);
    const publicPath = `/v2/${open.repository}/blobs/${open.layerDigest}`;
    const since = hub.mark();
    expect((await as(ANONYMOUS, publicPath)).cache).toBe("REVALIDATED");
    expect(since().filter((r) => r.startsWith(`GET ${HUB}`))).toEqual([]);
    const later = hub.mark();
    expect((await as(ANONYMOUS, publicPath)).cache).toBe("HIT");
    expect(later()).toEqual([]);
  });
});

// Anonymous probes of blobs behind storage that refuses HEAD (presigned for GET): the probe still finds them public.
describe("a probe through a redirect to storage", () => {
  it.each([
    ["refuses HEAD (presigned for GET)", true],
    ["answers HEAD", false],
  ])("a public blob behind storage that %s is probed readable and shared", async (_label, refusesHead) => {
    const bytes = `layer-${String(refusesHead)}-${crypto.randomUUID()}`;
    const digest = await digestOf(bytes);
    fakeUpstreams({
      "ghcr.io": (request, url) => {
        if (url.pathname === "/token") return Response.json({ token: "anon" });
        if (url.pathname !== "/v2/" && request.headers.get("authorization")?.startsWith("Bearer ")) {
          return new Response(null, { status: 307, headers: { location: "https://store.example/blob?sig=1" } });
        }
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' },
        });
      },
      "store.example": (request) =>
        request.method === "HEAD" && refusesHead
          ? new Response("signature mismatch", { status: 403 })
          : new Response(request.method === "HEAD" ? null : bytes, {
              headers: { "content-length": String(bytes.length), "content-type": "application/octet-stream" },
            }),
    });
    const get = async () => {
      const response = await callWorker(`https://ghcr.example.com/v2/o/i/blobs/${digest}`, {
        headers: { authorization: "Bearer client-token" },
      });
      const text = await response.text();
      await settled();
      return { status: response.status, text, cache: response.headers.get("x-cache") };
    };
    expect(await get()).toMatchObject({ status: 200, text: bytes, cache: "MISS" });
    expect(await get()).toMatchObject({ status: 200, text: bytes, cache: "HIT" });
  });
});
