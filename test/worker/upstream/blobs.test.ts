import { describe, expect, it } from "vitest";
import { callWorker, digestOf, fakeUpstreams } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const CDN = "production.cloudflare.docker.com";
/** 64 KiB of fresh random bytes: blobs are cached by digest, so each test needs its own to meet the upstream. */
function freshLayer(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(64 * 1024));
}

/** Docker Hub: the registry answers 307 to a presigned CDN URL, and the CDN refuses any Authorization, as S3 does. */
function hubWithCdn(layer: Uint8Array, digest: string) {
  return fakeUpstreams({
    [HUB]: (_request, url) =>
      url.pathname === `/v2/library/alpine/blobs/${digest}`
        ? new Response(null, {
            status: 307,
            headers: { location: `https://${CDN}/registry-v2/blobs/sha256/ab/data?X-Amz-Signature=sig` },
          })
        : new Response("unexpected", { status: 500 }),
    [CDN]: (request) => {
      if (request.headers.has("authorization"))
        return new Response("<Error>Only one auth mechanism allowed</Error>", { status: 400 });
      const range = request.headers.get("range");
      if (range) {
        const [start, end] = range.replace("bytes=", "").split("-").map(Number) as [number, number];
        return new Response(layer.slice(start, end + 1), {
          status: 206,
          headers: {
            "content-range": `bytes ${start}-${end}/${layer.length}`,
            "content-length": String(end - start + 1),
            "accept-ranges": "bytes",
          },
        });
      }
      return new Response(request.method === "HEAD" ? null : layer, {
        headers: {
          "content-type": "application/octet-stream",
          "content-length": String(layer.length),
          etag: '"cdn-etag"',
        },
      });
    },
  });
}

describe("blobs", () => {
  it("follows the CDN redirect itself and never sends the client's Authorization to the CDN", async () => {
    const layer = freshLayer();
    const digest = await digestOf(layer);
    const fake = hubWithCdn(layer, digest);
    const response = await callWorker(`https://docker.example.com/v2/alpine/blobs/${digest}`, {
      headers: { authorization: "Bearer hub-token" },
    });
    expect(response.status).toBe(200);
    expect(await digestOf(new Uint8Array(await response.arrayBuffer()))).toBe(digest);
    expect(fake.to(HUB)[0]!.headers.get("authorization")).toBe("Bearer hub-token");
    expect(fake.to(CDN)).toHaveLength(1);
    expect(fake.to(CDN)[0]!.headers.has("authorization")).toBe(false);
    expect(fake.to(HUB)[0]!.url.pathname).toBe(`/v2/library/alpine/blobs/${digest}`);
  });

  it("keeps Content-Length, Content-Type and ETag, and adds Docker-Content-Digest the CDN does not send", async () => {
    const layer = freshLayer();
    const digest = await digestOf(layer);
    hubWithCdn(layer, digest);
    const response = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "content-length": String(layer.length),
      "content-type": "application/octet-stream",
      "docker-content-digest": digest,
      etag: '"cdn-etag"',
    });
    await response.body?.cancel();
  });

  it("answers HEAD with the same headers and no body", async () => {
    const layer = freshLayer();
    const digest = await digestOf(layer);
    const fake = hubWithCdn(layer, digest);
    const head = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(layer.length));
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    expect(await head.text()).toBe("");
    expect(fake.sent.map((r) => r.method)).toEqual(["HEAD", "HEAD"]);
  });

  it("answers HEAD when the CDN refuses HEAD on a URL presigned for GET, without reading the body", async () => {
    const LAYER = freshLayer();
    const digest = await digestOf(LAYER);
    let cancelled = false;
    const fake = fakeUpstreams({
      [HUB]: () =>
        new Response(null, { status: 307, headers: { location: `https://${CDN}/blob?X-Amz-Signature=sig` } }),
      [CDN]: (request) => {
        if (request.method !== "GET") return new Response("<Error>SignatureDoesNotMatch</Error>", { status: 403 });
        const body = new ReadableStream({ pull: (c) => c.enqueue(LAYER), cancel: () => void (cancelled = true) });
        return new Response(body, {
          headers: { "content-length": String(LAYER.length), "content-type": "application/octet-stream" },
        });
      },
    });
    const head = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(LAYER.length));
    expect(await head.text()).toBe("");
    expect(fake.to(CDN).map((r) => r.method)).toEqual(["HEAD", "GET"]);
    expect(cancelled).toBe(true);
  });

  it("passes Range through and answers 206 with Content-Range", async () => {
    const layer = freshLayer();
    const digest = await digestOf(layer);
    const fake = hubWithCdn(layer, digest);
    const response = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`, {
      headers: { range: "bytes=10-19" },
    });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes 10-19/${layer.length}`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(layer.slice(10, 20));
    expect(fake.to(CDN)[0]!.headers.get("range")).toBe("bytes=10-19");
  });

  it("streams the body: the client reads the first bytes before the upstream has sent the rest", async () => {
    const digest = `sha256:${"c".repeat(64)}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    fakeUpstreams({
      [HUB]: () => {
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(new Uint8Array([1, 2, 3]));
            await held;
            controller.enqueue(new Uint8Array([4]));
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "application/octet-stream" } });
      },
    });
    const response = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`);
    const reader = response.body!.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2, 3]));
    release();
    expect((await reader.read()).value).toEqual(new Uint8Array([4]));
  });

  it("fetches an anonymous token for a redirect target that challenges (registry.k8s.io -> Artifact Registry)", async () => {
    const digest = `sha256:${"d".repeat(64)}`;
    const AR = "us-west1-docker.pkg.dev";
    const blobPath = `/v2/k8s-artifacts-prod/images/pause/blobs/${digest}`;
    const fake = fakeUpstreams({
      "registry.k8s.io": () => new Response(null, { status: 307, headers: { location: `https://${AR}${blobPath}` } }),
      [AR]: (request, url) => {
        if (url.pathname === "/v2/token") return Response.json({ token: "ar-anon" });
        if (request.headers.get("authorization") === "Bearer ar-anon") return new Response("layer");
        return new Response(null, {
          status: 401,
          headers: {
            "www-authenticate": `Bearer realm="https://${AR}/v2/token",service="${AR}",scope="repository:k8s-artifacts-prod/images/pause:pull"`,
          },
        });
      },
    });
    const response = await callWorker(`https://k8s.example.com/v2/pause/blobs/${digest}`, {
      headers: { authorization: "Bearer k8s-token" },
    });
    expect(await response.text()).toBe("layer");
    const toAr = fake.to(AR);
    expect(toAr.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([
      `GET ${blobPath}`,
      "GET /v2/token?service=us-west1-docker.pkg.dev&scope=repository%3Ak8s-artifacts-prod%2Fimages%2Fpause%3Apull",
      `GET ${blobPath}`,
    ]);
    expect(toAr[0]!.headers.has("authorization")).toBe(false);
    expect(toAr[1]!.headers.has("authorization")).toBe(false);
  });

  it("stops a redirect loop after a bounded number of hops with a 502 that names the upstream", async () => {
    const digest = `sha256:${"e".repeat(64)}`;
    const fake = fakeUpstreams({
      [HUB]: (_r, url) => new Response(null, { status: 302, headers: { location: url.pathname } }),
    });
    const response = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      errors: [
        { code: "UNAVAILABLE", message: "upstream of route docker: too many redirects", detail: { route: "docker" } },
      ],
    });
    expect(fake.sent.length).toBeLessThanOrEqual(6);
  });

  it("keeps Authorization on a same-origin redirect", async () => {
    const digest = `sha256:${"f".repeat(64)}`;
    const fake = fakeUpstreams({
      [HUB]: (_r, url) =>
        url.pathname.startsWith("/v2/")
          ? new Response(null, { status: 301, headers: { location: "/moved" } })
          : new Response("ok"),
    });
    await (
      await callWorker(`https://example.com/v2/alpine/blobs/${digest}`, { headers: { authorization: "Bearer t" } })
    ).text();
    expect(fake.sent.map((r) => r.headers.get("authorization"))).toEqual(["Bearer t", "Bearer t"]);
  });
});

describe("a redirect target that challenges (blob storage, Artifact Registry)", () => {
  const digest = `sha256:${"9".repeat(64)}`;
  const GHCR_CDN = "pkg-containers.githubusercontent.com";
  const ghcrRedirectingTo401 = (realmAnswer: () => Response) =>
    fakeUpstreams({
      "ghcr.io": (_r, url) =>
        url.pathname === "/token"
          ? Response.json({ token: "ghcr" })
          : url.pathname === "/v2/"
            ? new Response(null, {
                status: 401,
                headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' },
              })
            : new Response(null, { status: 307, headers: { location: `https://${GHCR_CDN}/blob` } }),
      [GHCR_CDN]: () =>
        new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://evil.test/token",service="x"' },
        }),
      "evil.test": realmAnswer,
    });

  it("whose realm answers something that is not JSON is a 502, not the mirror's own 500", async () => {
    ghcrRedirectingTo401(() => new Response("<html>not a token</html>"));
    const response = await callWorker(`https://ghcr.example.com/v2/o/i/blobs/${digest}`);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("UNAVAILABLE");
  });

  it("and will not give a token is a 502: its realm is never relayed, so a later /token keeps the client's credentials home", async () => {
    const fake = ghcrRedirectingTo401(() => new Response(null, { status: 403 }));
    const blob = await callWorker(`https://ghcr.example.com/v2/o/i/blobs/${digest}`, {
      headers: { authorization: "Bearer ghcr" },
    });
    expect(blob.status).toBe(502);
    expect(blob.headers.has("www-authenticate")).toBe(false);
    await blob.body?.cancel();
    const token = await callWorker("https://ghcr.example.com/token?scope=repository:o/i:pull", {
      headers: { authorization: "Basic dTpw" },
    });
    expect(token.status).toBe(200);
    const credentialed = fake.sent.filter((r) => r.headers.has("authorization")).map((r) => r.url.host);
    expect(credentialed.every((host) => host === "ghcr.io")).toBe(true);
    expect(fake.to("evil.test").map((r) => r.headers.has("authorization"))).toEqual([false]);
  });
});
