/**
 * Links per repository, as distribution keeps them (#21): an object the cache holds is served under repository R
 * only when it was served or probed in R; otherwise one request upstream in R decides, and a registry answers 404
 * for an object not linked to the repository asked for. So a denied repository's content is not reachable under an
 * allowed name it is not linked to. Both storage modes.
 */
import { describe, expect, it } from "vitest";
import {
  ANONYMOUS,
  fakeHub,
  HUB,
  type Identity,
  makeImage,
  requestAs,
  STORAGE_MODES,
  TESTER,
  uniqueName,
} from "../support/fake-registry";

describe.each(STORAGE_MODES)("with %s", (_mode, bindings) => {
  const as = (who: Identity | undefined, path: string, vars: Record<string, unknown> = {}, method = "GET") =>
    requestAs(who, path, { method, vars: { ...bindings, ...vars } });

  it("a layer served to everyone in one repository is not served from cache under a repository that does not hold it", async () => {
    const holder = await makeImage(`library/${uniqueName()}`, "latest");
    const other = await makeImage(`library/${uniqueName()}`, "latest");
    const hub = fakeHub({ images: [holder, other] });
    const layer = `/v2/${holder.repository}/blobs/${holder.layerDigest}`;
    expect((await as(ANONYMOUS, layer)).status).toBe(200);
    expect((await as(ANONYMOUS, layer)).cache).toBe("HIT");
    const elsewhere = `/v2/${other.repository}/blobs/${holder.layerDigest}`;
    for (const stranger of [ANONYMOUS, undefined, TESTER]) {
      const since = hub.mark();
      const answer = await as(stranger, elsewhere);
      expect([answer.status >= 400, answer.cache]).toEqual([true, "MISS"]);
      expect(answer.body).not.toEqual(holder.layer);
      // One request in that repository decided it (the check, then the client's own GET): nothing read from cache.
      expect(since().filter((r) => r.startsWith(`HEAD ${HUB}`) || r.startsWith(`GET ${HUB}`)).length).toBeGreaterThan(
        0,
      );
    }
  });

  it("a denied repository answers 403, and its cached content is not served under an allowed name", async () => {
    const denied = await makeImage(`team/${uniqueName()}`, "latest");
    const allowed = await makeImage(`library/${uniqueName()}`, "latest");
    fakeHub({ images: [denied, allowed] });
    for (const path of [
      `/v2/${denied.repository}/manifests/latest`,
      `/v2/${denied.repository}/manifests/${denied.digest}`,
      `/v2/${denied.repository}/blobs/${denied.layerDigest}`,
    ]) {
      expect((await as(ANONYMOUS, path)).status).toBe(200);
    }
    const deny = { DENIED_REPOSITORIES: JSON.stringify({ docker: [denied.repository] }) };
    expect((await as(ANONYMOUS, `/v2/${denied.repository}/blobs/${denied.layerDigest}`, deny)).status).toBe(403);
    for (const stranger of [ANONYMOUS, undefined]) {
      for (const path of [
        `/v2/${allowed.repository}/blobs/${denied.layerDigest}`,
        `/v2/${allowed.repository}/manifests/${denied.digest}`,
      ]) {
        const answer = await as(stranger, path, deny);
        expect([path, answer.status >= 400, answer.cache]).toEqual([path, true, "MISS"]);
        expect(answer.body).not.toEqual(denied.layer);
        expect(answer.text).not.toContain(denied.manifest);
      }
    }
  });
});
