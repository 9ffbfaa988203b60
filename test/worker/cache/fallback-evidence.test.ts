/**
 * Who may be served what rests on the route's own registry only (#21 with #23). A fallback (mirror.gcr.io by default)
 * answers for the Hub while it refuses, but its word is never evidence about the Hub: a fallback's 200 to a HEAD must
 * not admit cached bytes to a client, and what a fallback served anonymously must not link an object or share a tag.
 * A fallback may lag (it cached a repository while it was public) or answer a HEAD loosely: either way, a private
 * object its owner's pull cached must never reach a client without credentials, during the outage or after it.
 */
import { describe, expect, it, vi } from "vitest";
import { fakeFallback } from "../support/fake-fallback";
import {
  ANONYMOUS,
  type FakeImage,
  fakeHub,
  type Identity,
  makeImage,
  requestAs,
  STORAGE_MODES,
  TESTER,
  uniqueName,
} from "../support/fake-registry";

const FALLBACK = "mirror.gcr.io";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  const as = (who: Identity | undefined, path: string, method = "GET") =>
    requestAs(who, path, { method, vars: { ...bindings } });

  /**
   * A private image its owner pulled whole through the mirror (cached, linked nowhere), and a fallback holding it.
   * `headOnly`: the fallback names the digest to a HEAD but holds no bytes (a GET is 404).
   */
  async function world(headOnly = false) {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const secret = await makeImage(`private/${uniqueName()}`, "1");
    const fallback = fakeFallback(FALLBACK, [secret]);
    const handler = fallback.hosts[FALLBACK];
    const extra = {
      [FALLBACK]: (request: Request, url: URL) =>
        headOnly && request.method === "GET" && /\/(manifests|blobs)\//.test(url.pathname)
          ? new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', { status: 404 })
          : (handler?.(request, url) ?? new Response("no handler", { status: 500 })),
    };
    const hub = fakeHub({ images: [secret], extra });
    const paths = {
      tag: `/v2/${secret.repository}/manifests/1`,
      manifest: `/v2/${secret.repository}/manifests/${secret.digest}`,
      blob: `/v2/${secret.repository}/blobs/${secret.layerDigest}`,
    };
    for (const path of Object.values(paths)) expect((await as(TESTER, path)).status).toBe(200);
    return { secret, hub, paths };
  }

  const leaks = (secret: FakeImage, body: Uint8Array, text: string) =>
    text.includes(secret.manifest) || (body.length > 0 && body.every((byte, i) => byte === secret.layer[i]));

  it.each(["tag", "manifest", "blob"] as const)(
    "a fallback's HEAD naming the %s's digest admits no cached byte to a stranger while the Hub refuses",
    async (what) => {
      const { secret, hub, paths } = await world(true);
      hub.state.failure = 429;
      for (const method of ["GET", "HEAD"]) {
        const answer = await as(undefined, paths[what], method);
        expect([what, method, answer.cache, leaks(secret, answer.body, answer.text)]).toEqual([
          what,
          method,
          "MISS",
          false,
        ]);
        if (method === "GET") expect(answer.status).toBeGreaterThanOrEqual(400);
      }
    },
  );

  it("a lagging fallback's answers link nothing: once the Hub answers again, a stranger gets no private byte", async () => {
    const { secret, hub, paths } = await world();
    hub.state.failure = 429;
    for (const path of [paths.tag, paths.manifest, paths.blob]) {
      const during = await as(undefined, path);
      // Served by the fallback itself (its bytes, checked by digest), never from the cache on its word.
      expect([path, during.status, during.cache]).toEqual([path, 200, "MISS"]);
    }
    hub.state.failure = undefined;
    for (const path of [paths.tag, paths.manifest, paths.blob]) {
      for (const method of ["GET", "HEAD"]) {
        const after = await as(undefined, path, method);
        expect([path, method, after.status, after.cache, leaks(secret, after.body, after.text)]).toEqual([
          path,
          method,
          401,
          "MISS",
          false,
        ]);
      }
    }
  });
});

describe("a probe the Hub refuses for now", () => {
  it("marks nothing private: once the Hub answers, a public layer a fallback served is linked and served HIT", async () => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const open = await makeImage(`library/${uniqueName()}`, "1");
    const fallback = fakeFallback(FALLBACK, [open]);
    const hub = fakeHub({ images: [open], extra: fallback.hosts });
    const path = `/v2/${open.repository}/blobs/${open.layerDigest}`;
    // With an anonymous token from the mirror's /token, as docker pulls: whether it is shared is a probe's question.
    hub.state.failure = 429;
    const during = await requestAs(ANONYMOUS, path);
    expect([during.status, during.cache]).toEqual([200, "MISS"]);
    hub.state.failure = undefined;
    expect((await requestAs(ANONYMOUS, path)).cache).toBe("REVALIDATED");
    const since = hub.mark();
    const later = await requestAs(ANONYMOUS, path);
    expect([later.status, later.cache]).toEqual([200, "HIT"]);
    expect(since()).toEqual([]);
  });
});
