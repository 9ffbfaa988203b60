// Two gaps an adversarial review of the merged branches found: a client's token form following a realm's redirect to
// another origin, and anonymous probes of blobs behind storage that refuses HEAD (presigned for GET).
import { describe, expect, it } from "vitest";
import { callWorker, digestOf, fakeUpstreams, settled } from "./support/fake-upstream";

describe("seams between the upstream client and the cache", () => {
  it("POST /token: a realm's redirect to another origin never gets the client's password form", async () => {
    const fake = fakeUpstreams({
      "quay.io": (_request, url) =>
        url.pathname === "/v2/auth"
          ? new Response(null, { status: 307, headers: { location: "https://elsewhere.example/steal" } })
          : new Response(null, {
              status: 401,
              headers: { "www-authenticate": 'Bearer realm="https://quay.io/v2/auth",service="quay.io"' },
            }),
      "elsewhere.example": () => Response.json({ token: "x" }),
    });
    const form = new URLSearchParams({
      grant_type: "password",
      username: "u",
      password: "s3cret-password",
      service: "quay.io",
      scope: "repository:o/i:pull",
    });
    const response = await callWorker("https://quay.example.com/token", {
      method: "POST",
      body: form,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(response.status).toBe(502);
    await response.body?.cancel();
    expect(fake.to("elsewhere.example")).toEqual([]);
  });

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
