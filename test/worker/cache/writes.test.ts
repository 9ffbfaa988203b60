/**
 * What a manifest miss writes to the Cache API: few records, and as many for a manifest naming twelve layers as for
 * one naming one (DESIGN-cache-records.md: its content record, its own link, its tag record; no record per digest it
 * names). Each Cache API write is work the Worker pays for inside the request's CPU limit.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeHub, MANIFEST_TYPE, uniqueName } from "../support/fake-registry";
import { callWorker, digestOf, settled } from "../support/fake-upstream";

/** A Cache API write is either a content entry or a record; a manifest miss should make at most this many. */
const MAX_WRITES = 4;

afterEach(() => vi.restoreAllMocks());

async function manifestNaming(layers: number): Promise<{ text: string; digest: string }> {
  const descriptor = async (i: number) => ({
    mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
    digest: await digestOf(`${crypto.randomUUID()} ${i}`),
    size: 10,
  });
  const text = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { ...(await descriptor(-1)), mediaType: "application/vnd.oci.image.config.v1+json" },
    layers: await Promise.all(Array.from({ length: layers }, (_, i) => descriptor(i))),
  });
  return { text, digest: await digestOf(text) };
}

/** Cache API writes made by one anonymous GET of a new public tag whose manifest names `layers` layers. */
async function writesOfMiss(layers: number): Promise<number> {
  const manifest = await manifestNaming(layers);
  const repository = `library/${uniqueName()}`;
  fakeHub({
    registry: (request, url) =>
      url.pathname === `/v2/${repository}/manifests/1`
        ? new Response(request.method === "HEAD" ? null : manifest.text, {
            headers: { "content-type": MANIFEST_TYPE, "docker-content-digest": manifest.digest },
          })
        : undefined,
  });
  const puts = vi.spyOn(caches.default, "put");
  const response = await callWorker(`https://example.com/v2/${repository}/manifests/1`, {}, { BLOBS: undefined });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  await settled();
  const count = puts.mock.calls.length;
  puts.mockRestore();
  return count;
}

describe("a manifest miss", () => {
  // Before the link record (#21) a miss wrote a shared marker per referenced digest: 6 records for a one-layer
  // manifest, 17 for a twelve-layer one.
  it(`writes at most ${MAX_WRITES} Cache API records, however many digests the manifest names`, async () => {
    const one = await writesOfMiss(1);
    const twelve = await writesOfMiss(12);
    expect(one).toBeLessThanOrEqual(MAX_WRITES);
    expect(twelve).toBe(one);
  });
});
