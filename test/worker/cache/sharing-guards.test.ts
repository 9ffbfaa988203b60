/**
 * Guards of the sharing rule that no test watched (#21, item 6): a tag record never shared is not served stale to
 * anyone while the upstream fails, and an anonymous probe counts only an answer that is the object asked for (not a
 * web page of its exact size, not another digest). Each test here fails when its guard is removed.
 */
import { describe, expect, it } from "vitest";
import {
  ANONYMOUS,
  fakeHub,
  type Identity,
  LOGIN,
  makeImage,
  requestAs,
  STORAGE_MODES,
  TESTER,
  uniqueName,
} from "../support/fake-registry";
import { digestOf } from "../support/fake-upstream";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  const as = (who: Identity | undefined, path: string) => requestAs(who, path, { vars: bindings });

  it("a private tag's record is never served stale while the upstream fails", async () => {
    const image = await makeImage(`private/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/manifests/1`;
    expect((await as(TESTER, path)).status).toBe(200);
    for (const failure of [503, "unreachable"] as const) {
      hub.state.failure = failure;
      for (const stranger of [ANONYMOUS, undefined]) {
        const answer = await as(stranger, path);
        expect([failure, answer.status >= 400, answer.cache]).toEqual([failure, true, "MISS"]);
        expect(answer.text).not.toContain(image.manifest);
      }
    }
  });

  it("a login page of the layer's exact size, where an anonymous probe is redirected, is not the layer", async () => {
    const image = await makeImage(`gated/${uniqueName()}`, "1");
    const page = `<!doctype html><title>Sign in</title>${" ".repeat(image.layer.length - 37)}`;
    expect(new TextEncoder().encode(page).length).toBe(image.layer.length);
    fakeHub({
      images: [image],
      privateRepositories: [image.repository],
      loginRedirects: [image.repository],
      extra: {
        [LOGIN]: () =>
          new Response(page, {
            headers: { "content-type": "text/html; charset=utf-8", "content-length": String(image.layer.length) },
          }),
      },
    });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    expect((await as(TESTER, path)).status).toBe(200);
    for (const stranger of [ANONYMOUS, undefined]) {
      const answer = await as(stranger, path);
      expect(answer.cache === "HIT" || answer.cache === "REVALIDATED").toBe(false);
      expect(answer.body).not.toEqual(image.layer);
    }
  });

  it.each([
    ["a blob", "blobs"],
    ["a manifest", "manifests"],
  ])("an anonymous probe of %s answered 200 naming another digest does not share it", async (_label, kind) => {
    const image = await makeImage(`private/${uniqueName()}`, "1");
    const decoy = await digestOf(crypto.randomUUID());
    const hub = fakeHub({
      images: [image],
      // Anyone but the owner who asks with HEAD gets a 200 for another object (a placeholder, a default image).
      registry: (request, url) =>
        request.method === "HEAD" && url.pathname.includes(`/${kind}/sha256:`) && hub.identityOf(request) !== TESTER
          ? new Response(null, {
              headers: {
                "docker-content-digest": decoy,
                "content-length": String(kind === "blobs" ? image.layer.length : image.manifest.length),
                "content-type": "application/octet-stream",
              },
            })
          : undefined,
    });
    const digest = kind === "blobs" ? image.layerDigest : image.digest;
    const path = `/v2/${image.repository}/${kind}/${digest}`;
    expect((await as(TESTER, path)).status).toBe(200);
    for (const stranger of [ANONYMOUS, undefined]) {
      const answer = await as(stranger, path);
      expect([answer.status >= 400, answer.cache]).toEqual([true, "MISS"]);
      expect(answer.body).not.toEqual(image.layer);
      expect(answer.text).not.toContain(image.manifest);
    }
  });
});
