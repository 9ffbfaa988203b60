/**
 * Where cached content is read back from, in the two cases no other Worker test would notice breaking: content another
 * data centre stored (found in R2, not in this data centre's Cache API), and one blob asked under two host names with
 * the Cache API alone (keys come from the registry and the digest, never from the request's host).
 */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, bearer, fakeHub, makeImage, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

async function get(url: string, vars: Record<string, unknown>) {
  const path = new URL(url).pathname;
  const response = await callWorker(url, { headers: { authorization: bearer(ANONYMOUS, path) } }, vars);
  const body = new Uint8Array(await response.arrayBuffer());
  await settled();
  return { cache: response.headers.get("x-cache"), body };
}

describe("reading content back", () => {
  it("from R2: a blob stored by another data centre (another Cache API here) is a HIT from R2, with no upstream request", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    // Each MIRROR_HOST has its own Cache API keys, as each data centre has its own Cache API; R2 is one for all.
    await get(`https://example.com${path}`, { MIRROR_HOST: `one-${uniqueName()}.example` });
    const since = hub.mark();
    const elsewhere = await get(`https://example.com${path}`, { MIRROR_HOST: `two-${uniqueName()}.example` });
    expect(elsewhere.cache).toBe("HIT");
    expect(elsewhere.body).toEqual(image.layer);
    expect(since()).toEqual([]);
  });

  it("with the Cache API alone: one blob asked under two host names is fetched upstream once", async () => {
    const image = await makeImage(`library/${uniqueName()}`, "1");
    const hub = fakeHub({ images: [image] });
    const path = `/v2/${image.repository}/blobs/${image.layerDigest}`;
    const vars = { BLOBS: undefined };
    const first = await get(`https://docker.${uniqueName()}.example${path}`, vars);
    const since = hub.mark();
    const second = await get(`https://${uniqueName()}.example${path}`, vars);
    expect([first.cache, second.cache]).toEqual(["MISS", "HIT"]);
    expect(second.body).toEqual(image.layer);
    expect(since()).toEqual([]);
  });
});
