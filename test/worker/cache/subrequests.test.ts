/**
 * One request's external subrequests, background work included, stay well inside the free plan's 50 (#21 item 3):
 * a public manifest naming many layers, fetched by tag with an anonymous token, each layer's probe ahead redirected
 * to blob storage that refuses HEAD (so asked again as GET): the costliest a probe gets.
 */
import { describe, expect, it } from "vitest";
import { ANONYMOUS, bearer, fakeHub, imageNaming, uniqueName } from "../support/fake-registry";
import { callWorker, settled } from "../support/fake-upstream";

const CDN = "cdn.example";
/** Subrequests one request may make: the free plan allows 50; this leaves room for a fallback chain's few. */
const MOST_SUBREQUESTS = 40;

describe("subrequests per request", () => {
  it("a manifest naming 60 layers, each probe redirected to storage that refuses HEAD, stays within the bound", async () => {
    const big = await imageNaming(`library/${uniqueName()}`, 60);
    const hub = fakeHub({
      images: [big],
      registry: (request, url) =>
        url.pathname.includes("/blobs/") && request.method === "HEAD"
          ? new Response(null, { status: 307, headers: { location: `https://${CDN}${url.pathname}` } })
          : undefined,
      extra: {
        [CDN]: (request) =>
          request.method === "HEAD" ? new Response(null, { status: 403 }) : new Response("x".repeat(1000)),
      },
    });
    const path = `/v2/${big.repository}/manifests/big`;
    const response = await callWorker(`https://example.com${path}`, {
      headers: { authorization: bearer(ANONYMOUS, path) },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await settled();
    // Measured: 35 (the tag HEAD and GET, /v2/, a token, the tag probe, and 10 probes ahead of 3 hops each).
    expect(hub.sent.length).toBeLessThanOrEqual(MOST_SUBREQUESTS);
  });
});
