/**
 * Shareability is a property of each object: a repository once found public does not make what it serves later
 * public, and a redirect to a login page is not "readable". Both storage modes.
 */
import { describe, expect, it, vi } from "vitest";
import { SHARED_TTL_SECONDS } from "../../../src/cache/visibility";
import {
  ANONYMOUS,
  bearer,
  fakeHub,
  type Identity,
  makeImage,
  STORAGE_MODES,
  TESTER,
  uniqueName,
} from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  /** One request as a client with `authorization` (none: no header at all); waits for background work. */
  const as = async (who: Identity | undefined, path: string) => {
    const headers: Record<string, string> = who ? { authorization: bearer(who, path) } : {};
    const response = await callWorker(`https://example.com${path}`, { headers }, bindings);
    const body = new Uint8Array(await response.arrayBuffer());
    await settled();
    return {
      status: response.status,
      body,
      text: new TextDecoder().decode(body),
      cache: response.headers.get("x-cache"),
    };
  };

  it("after a repository was found public, a new digest fetched only with credentials is refused to anonymous clients", async () => {
    const name = uniqueName();
    const before = await makeImage(`library/${name}`, "v1");
    const after = await makeImage(`library/${name}`, "v2");
    const elsewhere = await makeImage(`library/${uniqueName()}`, "v1");
    const privateRepositories: string[] = [];
    const hub = fakeHub({ images: [before, elsewhere], privateRepositories: privateRepositories });
    // Public: the tester's pull is probed, found public, and shared with everyone.
    await as(TESTER, `/v2/${before.repository}/manifests/v1`);
    await as(TESTER, `/v2/${before.repository}/blobs/${before.layerDigest}`);
    expect((await as(ANONYMOUS, `/v2/${before.repository}/blobs/${before.layerDigest}`)).cache).toBe("HIT");
    // The repository turns private and gets new content, which only the tester pulls.
    privateRepositories.push(before.repository);
    hub.push(after);
    for (const path of [`/v2/${after.repository}/manifests/v2`, `/v2/${after.repository}/blobs/${after.layerDigest}`]) {
      expect((await as(TESTER, path)).status).toBe(200);
    }
    const refusals = [
      `/v2/${after.repository}/manifests/${after.digest}`, // by digest
      `/v2/${after.repository}/blobs/${after.layerDigest}`,
      `/v2/${elsewhere.repository}/blobs/${after.layerDigest}`, // under another (public) name
      `/v2/${elsewhere.repository}/manifests/${after.digest}`,
      `/v2/${after.repository}/manifests/v2`, // by tag
    ];
    for (const path of refusals) {
      for (const stranger of [ANONYMOUS, undefined]) {
        const refused = await as(stranger, path);
        expect([path, refused.status >= 400, refused.cache]).toEqual([path, true, "MISS"]);
        expect(refused.text).not.toContain(after.manifest);
        expect(refused.body).not.toEqual(after.layer);
      }
    }
  });

  it("an anonymous probe redirected to a login page does not make content public, nor does such a redirect admit a client", async () => {
    const image = await makeImage(`gated/${uniqueName()}`, "v1");
    fakeHub({ images: [image], privateRepositories: [image.repository], loginRedirects: [image.repository] });
    const paths = [
      `/v2/${image.repository}/blobs/${image.layerDigest}`,
      `/v2/${image.repository}/manifests/${image.digest}`,
    ];
    for (const path of paths) expect((await as(TESTER, path)).cache).toBe("MISS");
    for (const path of paths) {
      for (const stranger of [ANONYMOUS, undefined]) {
        const answer = await as(stranger, path);
        expect([path, answer.cache]).toEqual([path, "MISS"]); // neither HIT (shared) nor REVALIDATED (admitted)
        expect(answer.body).not.toEqual(image.layer);
        expect(answer.text).not.toContain(image.manifest);
      }
    }
    // The tester is still served from cache after its own check.
    expect((await as(TESTER, paths[0]!)).cache).toBe("REVALIDATED");
  });

  it("a shared marker expires (in R2 too): past SHARED_TTL_SECONDS the client is checked upstream again", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "v1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    await as(ANONYMOUS, path);
    expect((await as(ANONYMOUS, path)).cache).toBe("HIT");
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + (SHARED_TTL_SECONDS + 60) * 1000);
    const since = hub.mark();
    expect((await as(ANONYMOUS, path)).cache).toBe("REVALIDATED");
    expect(since().filter((r) => r.startsWith("GET registry"))).toEqual([]);
  });
});
