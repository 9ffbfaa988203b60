import { describe, expect, it } from "vitest";
import { parseChallenge } from "../../../src/core/challenge";
import { callWorker, digestOf, fakeUpstreams, HUB_CHALLENGE, json, settled } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [],
});
const INDEX_TYPE = "application/vnd.oci.image.index.v1+json";

async function manifestResponse(request: Request, manifest = MANIFEST): Promise<Response> {
  return new Response(request.method === "HEAD" ? null : manifest, {
    headers: {
      "content-type": INDEX_TYPE,
      "content-length": String(manifest.length),
      "docker-content-digest": await digestOf(manifest),
      etag: `"${await digestOf(manifest)}"`,
      "set-cookie": "tracking=1",
      "x-upstream-internal": "secret-ish",
    },
  });
}

describe("GET /v2/", () => {
  it("rewrites Docker Hub's challenge realm to this host's /token and keeps the service", async () => {
    const fake = fakeUpstreams({
      [HUB]: () => json({ errors: [] }, { status: 401, headers: { "www-authenticate": HUB_CHALLENGE } }),
    });
    const response = await callWorker("https://docker.example.com/v2/");
    expect(response.status).toBe(401);
    expect(parseChallenge(response.headers.get("www-authenticate")!)).toEqual({
      scheme: "bearer",
      params: { realm: "https://docker.example.com/token", service: "registry.docker.io" },
    });
    expect(response.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(fake.to(HUB).map((r) => r.url.pathname)).toEqual(["/v2/"]);
  });

  it("HEAD /v2/ answers like GET without a body", async () => {
    fakeUpstreams({ [HUB]: () => new Response(null, { status: 401, headers: { "www-authenticate": HUB_CHALLENGE } }) });
    const response = await callWorker("https://example.com/v2/", { method: "HEAD" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('realm="https://example.com/token"');
    expect(await response.text()).toBe("");
  });

  it("a realm for ?ns= routing carries ns, since clients do not repeat it at the realm", async () => {
    fakeUpstreams({
      "ghcr.io": () =>
        new Response(null, {
          status: 401,
          headers: {
            "www-authenticate":
              'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:owner/img:pull"',
          },
        }),
    });
    const response = await callWorker("https://mirror.example.com/v2/owner/img/manifests/1?ns=ghcr.io");
    expect(parseChallenge(response.headers.get("www-authenticate")!)?.params).toEqual({
      realm: "https://mirror.example.com/token?ns=ghcr.io",
      service: "ghcr.io",
      scope: "repository:owner/img:pull",
    });
  });
});

describe("manifests", () => {
  it("GET /v2/alpine/manifests/latest on docker. adds library/ and forwards Accept and the token", async () => {
    const fake = fakeUpstreams({ [HUB]: (request) => manifestResponse(request) });
    const response = await callWorker("https://docker.example.com/v2/alpine/manifests/latest", {
      headers: {
        accept: `${INDEX_TYPE}, application/vnd.docker.distribution.manifest.list.v2+json`,
        authorization: "Bearer hub-token",
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(MANIFEST);
    const [sent] = fake.to(HUB);
    expect(sent!.url.pathname).toBe("/v2/library/alpine/manifests/latest");
    expect(sent!.headers.get("accept")).toBe(
      `${INDEX_TYPE}, application/vnd.docker.distribution.manifest.list.v2+json`,
    );
    expect(sent!.headers.get("authorization")).toBe("Bearer hub-token");
  });

  it("preserves Content-Type, Content-Length, Docker-Content-Digest and ETag, and drops other upstream headers", async () => {
    fakeUpstreams({ [HUB]: (request) => manifestResponse(request) });
    const response = await callWorker("https://example.com/v2/library/alpine/manifests/latest");
    const digest = await digestOf(MANIFEST);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "content-type": INDEX_TYPE,
      "content-length": String(MANIFEST.length),
      "docker-content-digest": digest,
      etag: `"${digest}"`,
    });
    expect(response.headers.has("set-cookie")).toBe(false);
    expect(response.headers.has("x-upstream-internal")).toBe(false);
  });

  it("HEAD carries the same headers as GET and no body, from the upstream and from the cache", async () => {
    // A manifest of its own: content is cached by digest, and other tests have served MANIFEST already.
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX_TYPE,
      manifests: [],
      annotations: { test: "head" },
    });
    const fake = fakeUpstreams({ [HUB]: (request) => manifestResponse(request, manifest) });
    const url = "https://example.com/v2/alpine/manifests/head-and-get";
    const headers = (response: Response) => {
      const all = Object.fromEntries(response.headers);
      delete all["x-cache"];
      return all;
    };
    const firstHead = await callWorker(url, { method: "HEAD" });
    await settled();
    const get = await callWorker(url);
    expect(await get.text()).toBe(manifest);
    await settled();
    const cachedHead = await callWorker(url, { method: "HEAD" });
    expect(headers(firstHead)).toEqual(headers(get));
    expect(headers(cachedHead)).toEqual(headers(get));
    expect([firstHead, get, cachedHead].map((r) => r.headers.get("x-cache"))).toEqual(["MISS", "MISS", "HIT"]);
    expect(await firstHead.text()).toBe("");
    expect(await cachedHead.text()).toBe("");
    expect(fake.to(HUB).map((r) => r.method)).toEqual(["HEAD", "GET"]);
  });

  it("by digest, on a path-prefix route", async () => {
    const digest = await digestOf(MANIFEST);
    const fake = fakeUpstreams({ "ghcr.io": (request) => manifestResponse(request) });
    const response = await callWorker(`https://example.com/v2/ghcr.io/owner/img/manifests/${digest}`);
    expect(response.status).toBe(200);
    expect(fake.sent.map((r) => r.url.href)).toEqual([`https://ghcr.io/v2/owner/img/manifests/${digest}`]);
  });

  it("passes upstream 404 bodies through unchanged", async () => {
    const body = '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}';
    fakeUpstreams({
      [HUB]: () => new Response(body, { status: 404, headers: { "content-type": "application/json" } }),
    });
    const response = await callWorker("https://example.com/v2/alpine/manifests/nope");
    expect(response.status).toBe(404);
    expect(await response.text()).toBe(body);
  });

  it("passes upstream 429 through with Retry-After and the rate-limit headers", async () => {
    fakeUpstreams({
      [HUB]: () =>
        json(
          { errors: [{ code: "TOOMANYREQUESTS", message: "You have reached your pull rate limit." }] },
          {
            status: 429,
            headers: { "retry-after": "60", "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" },
          },
        ),
    });
    const response = await callWorker("https://example.com/v2/alpine/manifests/rate-limited");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(response.headers.get("ratelimit-remaining")).toBe("0;w=21600");
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("TOOMANYREQUESTS");
  });
});

describe("request headers sent upstream", () => {
  it("are an allow-list: Cloudflare's, proxies' and cookies stay behind", async () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX_TYPE,
      manifests: [],
      annotations: { test: "allow-list" },
    });
    const fake = fakeUpstreams({ [HUB]: (request) => manifestResponse(request, manifest) });
    await callWorker("https://example.com/v2/alpine/manifests/allow-list", {
      headers: {
        "user-agent": "docker/28.0",
        "accept-encoding": "gzip",
        "if-none-match": '"x"',
        "cf-connecting-ip": "203.0.113.9",
        "x-forwarded-for": "203.0.113.9",
        "x-real-ip": "203.0.113.9",
        cookie: "session=1",
        "x-custom": "1",
      },
    });
    // A tag is first revalidated with a HEAD (which drops If-None-Match, to see the digest); the GET forwards it all.
    const get = fake.sent.find((r) => r.method === "GET")!;
    expect([...get.headers.keys()].sort()).toEqual(["accept-encoding", "if-none-match", "user-agent"]);
  });
});
