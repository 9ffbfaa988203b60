/**
 * What every response carries on its way out: nosniff always, X-Cache only where the cache was asked; a Host that is
 * no host is the client's error (400), not the mirror's (500).
 */
import { describe, expect, it } from "vitest";
import { callWorker, fakeUpstreams, withRawUrl } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const digest = `sha256:${"a".repeat(64)}`;

function anything() {
  return fakeUpstreams({
    [HUB]: (request) =>
      request.url.includes("/blobs/") ? new Response("oops", { status: 503 }) : Response.json({ name: "x", tags: [] }),
    "auth.docker.io": () => Response.json({ token: "t" }),
  });
}

describe("X-Content-Type-Options: nosniff", () => {
  it.each([
    ["a registry answer", "https://example.com/v2/alpine/tags/list", {}],
    [
      "a locally refused repository",
      "https://example.com/v2/nginx/tags/list",
      { DENIED_REPOSITORIES: '{"docker": ["nginx"]}' },
    ],
    ["a bad name", "https://example.com/v2/UPPER/tags/list", {}],
    ["the guide", "https://example.com/", {}],
    ["a redirecting home page", "https://example.com/", { HOME_PAGE: "redirect:https://example.org/" }],
    ["a 404 page", "https://example.com/nope", {}],
    ["the v1 ping", "https://example.com/v1/_ping", {}],
    ["/token", "https://example.com/token?service=registry.docker.io", {}],
    ["a configuration error", "https://example.com/v2/", { UPSTREAMS: "{oops" }],
  ])("on %s", async (_what, url, vars) => {
    anything();
    const response = await callWorker(url, { redirect: "manual" }, vars);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    await response.body?.cancel();
  });
});

describe("X-Cache", () => {
  it.each([
    ["tags, which are never cached", "https://example.com/v2/alpine/tags/list", {}],
    ["a blob under CACHE=off", `https://example.com/v2/alpine/blobs/${digest}`, { CACHE: "off" }],
    [
      "a repository refused here (403)",
      `https://example.com/v2/nginx/blobs/${digest}`,
      { DENIED_REPOSITORIES: '{"docker": ["nginx"]}' },
    ],
    ["a malformed digest (400)", "https://example.com/v2/alpine/blobs/sha256:abc", {}],
    ["an unknown endpoint (404)", "https://example.com/v2/alpine/nope", {}],
  ])("is absent on %s: no cache was asked", async (_what, url, vars) => {
    anything();
    const response = await callWorker(url, {}, vars);
    expect(response.headers.has("x-cache")).toBe(false);
    await response.body?.cancel();
  });

  it("says MISS on an upstream error after the cache was asked", async () => {
    anything();
    const response = await callWorker(`https://example.com/v2/alpine/blobs/${digest}`);
    expect(response.status).toBe(503);
    expect(response.headers.get("x-cache")).toBe("MISS");
  });
});

describe("a Host that is no host name", () => {
  it.each([
    "http://a@b.example/v2/",
    "http://user:pw@docker.example.com/v2/",
    "http://[::1/v2/",
    "http://example.com:99999/v2/",
    "http://ex ample.com/",
  ])("%s -> 400, OCI JSON, nothing fetched", async (raw) => {
    const fake = fakeUpstreams({});
    const response = await callWorker(withRawUrl(raw));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("UNSUPPORTED");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(fake.sent).toEqual([]);
  });

  it("a URL the runtime cannot spell at all is a 400 too", async () => {
    const response = await callWorker(
      withRawUrl(() => {
        throw new TypeError("invalid hostname when stringifying URL");
      }),
    );
    expect(response.status).toBe(400);
  });
});

describe("/v1/search checks the request before the route", () => {
  it("a bad n is a 400 even on a route without a search index", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker("https://ghcr.example.com/v1/search?q=x&n=abc");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      "PAGINATION_NUMBER_INVALID",
    );
    expect(fake.sent).toEqual([]);
  });
});
