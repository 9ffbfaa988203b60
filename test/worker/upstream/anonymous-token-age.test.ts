/**
 * The window after a repository turns private is capped (#21): a probe reuses an anonymous token at most 60 s old,
 * whatever `expires_in` the registry gave it, so a token issued while the repository was public stops reading it.
 */
import { expect, it, vi } from "vitest";
import { bearer, fakeHub, makeImage, TESTER, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

it("a probe 61 s after the last one asks for a new anonymous token; one 30 s after reuses it", async () => {
  const repository = `library/${uniqueName()}`;
  const images = await Promise.all(["a", "b", "c"].map((tag) => makeImage(repository, tag)));
  const hub = fakeHub({ images, ttl: 3600 });
  const anonymousTokens = () => hub.tokenRequests().filter((r) => !r.headers.has("authorization")).length;
  const pullLayer = async (index: number) => {
    const path = `/v2/${repository}/blobs/${images[index]!.layerDigest}`;
    const response = await callWorker(`https://example.com${path}`, {
      headers: { authorization: bearer(TESTER, path) },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await settled();
  };
  const start = Date.now();
  await pullLayer(0);
  expect(anonymousTokens()).toBe(1);
  vi.spyOn(Date, "now").mockReturnValue(start + 30_000);
  await pullLayer(1);
  expect(anonymousTokens()).toBe(1);
  vi.spyOn(Date, "now").mockReturnValue(start + 61_000);
  await pullLayer(2);
  expect(anonymousTokens()).toBe(2);
});
