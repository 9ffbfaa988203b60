/**
 * setup.ts waits for the work a test left in ctx.waitUntil before it restores the fakes. A restore that ran first (a
 * file's own afterEach runs before setup.ts's) would let that work's next fetch miss the fake. The hosts end in
 * .invalid, which never resolves, so a fetch that escapes the fake fails here instead of reaching the network.
 */
import { describe, expect, it } from "vitest";
import { callWorker, digestOf, fakeUpstreams, type SentRequest } from "./fake-upstream";

const REGISTRY = "registry.settling.invalid";
const STORE = "store.settling.invalid";
const VARS = { UPSTREAMS: JSON.stringify({ corp: { registry: `https://${REGISTRY}` } }) };
/** Long enough that the anonymous probe is still waiting for its token when the first test returns. */
const TOKEN_DELAY_MS = 300;

/** What the first test's fakes were sent, read by the second once setup.ts has run between them. */
let sent: SentRequest[] = [];
let unexpected: string[] = [];

describe("background work and the end of a test", () => {
  it("a blob fetched with a client's token leaves its anonymous probe running when the test returns", async () => {
    const bytes = `layer-${crypto.randomUUID()}`;
    const digest = await digestOf(bytes);
    const fake = fakeUpstreams({
      [REGISTRY]: async (request, url) => {
        if (url.pathname === "/token") {
          await new Promise((resolve) => setTimeout(resolve, TOKEN_DELAY_MS));
          return Response.json({ token: "anon" });
        }
        if (url.pathname !== "/v2/" && request.headers.get("authorization")?.startsWith("Bearer ")) {
          return new Response(null, { status: 307, headers: { location: `https://${STORE}/blob?sig=1` } });
        }
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": `Bearer realm="https://${REGISTRY}/token",service="corp"` },
        });
      },
      [STORE]: (request) =>
        new Response(request.method === "HEAD" ? null : bytes, {
          headers: { "content-length": String(bytes.length), "content-type": "application/octet-stream" },
        }),
    });
    ({ sent, unexpected } = fake);
    const response = await callWorker(
      `https://corp.example.com/v2/o/i/blobs/${digest}`,
      { headers: { authorization: "Bearer client-token" } },
      VARS,
    );
    expect(new TextDecoder().decode(await response.arrayBuffer())).toBe(bytes);
    expect(response.headers.get("x-cache")).toBe("MISS");
    // No settled() here, on purpose: the probe is still waiting for its anonymous token.
    expect(sent.some((r) => r.headers.get("authorization") === "Bearer anon")).toBe(false);
  });

  it("and that probe finished against the fakes before they were restored", () => {
    expect(unexpected).toEqual([]);
    const probe = sent.filter((r) => r.url.host === REGISTRY && r.headers.get("authorization") === "Bearer anon");
    expect(probe.map((r) => r.url.pathname)).toEqual([expect.stringMatching(/^\/v2\/o\/i\/blobs\/sha256:/)]);
  });
});
