import { describe, expect, it, vi } from "vitest";
import { callWorker, fakeUpstreams, json, settled } from "../support/fake-upstream";

const INDEX = "index.docker.io";
/** Docker Hub's answer to /v1/search, as the daemon decodes it (registry.SearchResults). */
const HUB_RESULTS = {
  num_pages: 1,
  num_results: 1,
  page_size: 25,
  page: 1,
  query: "alpine",
  results: [
    {
      name: "alpine",
      description: "A minimal Docker image",
      star_count: 11000,
      is_official: true,
      is_automated: false,
    },
  ],
};
/** What dockerd sends when logged out: an empty username and password (moby registry/auth.go). */
const EMPTY_BASIC = "Basic Og==";

function errorOf(body: unknown): { code: string; message: string; detail?: unknown } {
  return (body as { errors: { code: string; message: string; detail?: unknown }[] }).errors[0]!;
}

describe("docker search through the mirror", () => {
  it("GET /v1/search as dockerd sends it reaches index.docker.io with the term alone and no credentials", async () => {
    const body = JSON.stringify(HUB_RESULTS);
    const fake = fakeUpstreams({
      [INDEX]: () => new Response(body, { headers: { "content-type": "application/json" } }),
    });
    const response = await callWorker("https://mirror.example.com/v1/search?q=alpine&n=25", {
      headers: {
        authorization: EMPTY_BASIC,
        "user-agent": "docker/28.2.2",
        cookie: "session=x",
        "x-forwarded-for": "10.1.2.3",
      },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(fake.sent.map((r) => r.url.href)).toEqual(["https://index.docker.io/v1/search?q=alpine&n=25"]);
    const sent = fake.sent[0]!.headers;
    expect([...sent.keys()].sort()).toEqual(["accept", "user-agent"]);
    expect(sent.get("user-agent")).toBe("docker/28.2.2");
  });

  it("never forwards real credentials either: they are the mirror's, not Docker Hub's", async () => {
    const fake = fakeUpstreams({ [INDEX]: () => json(HUB_RESULTS) });
    await callWorker("https://mirror.example.com/v1/search?q=nginx", {
      headers: { authorization: `Basic ${btoa("alice:s3cret")}` },
    });
    expect(fake.sent[0]!.headers.has("authorization")).toBe(false);
  });

  it.each([
    ["mirror.example.com/library/alpine", "alpine"],
    ["library/alpine", "alpine"],
    ["docker.io/library/alpine", "alpine"],
    ["mirror.example.com/bitnami/redis", "bitnami/redis"],
    ["alpine", "alpine"],
  ])("q=%s is searched as %s", async (q, term) => {
    const fake = fakeUpstreams({ [INDEX]: () => json(HUB_RESULTS) });
    await callWorker(`https://mirror.example.com/v1/search?q=${encodeURIComponent(q)}&n=10&page=2`);
    expect(fake.sent[0]!.url.searchParams.get("q")).toBe(term);
    expect(fake.sent[0]!.url.search).toBe(`?q=${encodeURIComponent(term)}&n=10&page=2`);
  });

  it("answers /v1/_ping itself as a standalone registry, so dockerd sends the search its login", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker("https://mirror.example.com/v1/_ping");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ standalone: true });
    expect(response.headers.get("x-docker-registry-standalone")).toBe("true");
    expect(fake.sent).toEqual([]);
  });

  it("HEAD /v1/search answers like GET without a body", async () => {
    fakeUpstreams({ [INDEX]: () => json(HUB_RESULTS) });
    const response = await callWorker("https://mirror.example.com/v1/search?q=alpine", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.body).toBeNull();
  });
});

describe("search requests that never reach the index", () => {
  it.each([
    ["/v1/search", 400, "NAME_INVALID"],
    ["/v1/search?q=", 400, "NAME_INVALID"],
    ["/v1/search?q=library/", 400, "NAME_INVALID"],
    [`/v1/search?q=${"a".repeat(256)}`, 400, "NAME_INVALID"],
    ["/v1/search?q=alpine&n=0", 400, "PAGINATION_NUMBER_INVALID"],
    ["/v1/search?q=alpine&n=101", 400, "PAGINATION_NUMBER_INVALID"],
    ["/v1/search?q=alpine&n=ten", 400, "PAGINATION_NUMBER_INVALID"],
    ["/v1/search?q=alpine&page=-1", 400, "PAGINATION_NUMBER_INVALID"],
    ["/v1/search?q=ghcr.io/owner/img", 404, "UNSUPPORTED"],
    ["/v1/search?q=x&ns=quay.io", 404, "UNSUPPORTED"],
    ["/v1/repositories/library/alpine/images", 404, "NAME_UNKNOWN"],
  ])("%s -> %i %s", async (path, status, code) => {
    const fake = fakeUpstreams({});
    const response = await callWorker(`https://mirror.example.com${path}`);
    expect(response.status).toBe(status);
    expect(errorOf(await response.json()).code).toBe(code);
    expect(fake.sent).toEqual([]);
  });

  it("a route without an index (ghcr. subdomain) says so", async () => {
    fakeUpstreams({});
    const response = await callWorker("https://ghcr.example.com/v1/search?q=owner/img");
    expect(errorOf(await response.json())).toEqual({
      code: "UNSUPPORTED",
      message: "route ghcr has no search index on this mirror",
      detail: { route: "ghcr" },
    });
  });

  it("POST /v1/search is 405", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker("https://mirror.example.com/v1/search?q=alpine", { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    expect((await response.json<{ errors: { code: string }[] }>()).errors[0]!.code).toBe("UNSUPPORTED");
    expect(fake.sent).toEqual([]);
  });
});

describe("index failures become OCI errors", () => {
  it("a 5xx or an HTML error page is a 502 that names the route and the index's status", async () => {
    for (const upstream of [
      new Response("oops", { status: 503 }),
      new Response("<html>not found</html>", { status: 404 }),
    ]) {
      fakeUpstreams({ [INDEX]: () => upstream });
      const response = await callWorker("https://mirror.example.com/v1/search?q=alpine");
      expect(response.status).toBe(502);
      expect(response.headers.get("content-type")).toContain("application/json");
      expect(errorOf(await response.json())).toEqual({
        code: "UNAVAILABLE",
        message: `upstream of route docker: its search index answered ${upstream.status}`,
        detail: { route: "docker", status: upstream.status },
      });
      // The next case installs its own fake: background work of this one finishes against this one's first.
      await settled();
      vi.restoreAllMocks();
    }
  });

  it("a 429 stays a 429 TOOMANYREQUESTS with its Retry-After", async () => {
    fakeUpstreams({ [INDEX]: () => new Response("slow down", { status: 429, headers: { "retry-after": "30" } }) });
    const response = await callWorker("https://mirror.example.com/v1/search?q=alpine");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(errorOf(await response.json()).code).toBe("TOOMANYREQUESTS");
  });

  it("an unreachable index is a 502 UNAVAILABLE", async () => {
    fakeUpstreams({ [INDEX]: () => Promise.reject(new TypeError("connection refused")) });
    const response = await callWorker("https://mirror.example.com/v1/search?q=alpine");
    expect(response.status).toBe(502);
    expect(errorOf(await response.json())).toMatchObject({ code: "UNAVAILABLE", detail: { route: "docker" } });
  });
});

describe("the index in UPSTREAMS", () => {
  it("an index given with the docker route is where search goes", async () => {
    const fake = fakeUpstreams({ "127.0.0.1:5002": () => json(HUB_RESULTS) });
    const vars = { UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000", "index": "http://127.0.0.1:5002"}}' };
    const response = await callWorker("http://127.0.0.1:8787/v1/search?q=127.0.0.1:8787/library/alpine&n=25", {}, vars);
    expect(response.status).toBe(200);
    expect(fake.sent.map((r) => r.url.href)).toEqual(["http://127.0.0.1:5002/v1/search?q=alpine&n=25"]);
  });

  it("a docker route pointed elsewhere without an index has no search, rather than searching Docker Hub", async () => {
    const fake = fakeUpstreams({});
    const vars = { UPSTREAMS: '{"docker": {"registry": "http://127.0.0.1:5000"}}' };
    const response = await callWorker("http://127.0.0.1:8787/v1/search?q=alpine", {}, vars);
    expect(response.status).toBe(404);
    expect(errorOf(await response.json()).message).toBe("route docker has no search index on this mirror");
    expect(fake.sent).toEqual([]);
  });

  it("an added route with an index is searchable by its host prefix", async () => {
    const fake = fakeUpstreams({ "search.harbor.example.net": () => json({ results: [] }) });
    const vars = {
      UPSTREAMS: '{"harbor": {"registry": "https://harbor.example.net", "index": "https://search.harbor.example.net"}}',
    };
    await callWorker("https://mirror.example.com/v1/search?q=harbor.example.net/team/app", {}, vars);
    expect(fake.sent.map((r) => r.url.href)).toEqual(["https://search.harbor.example.net/v1/search?q=team%2Fapp"]);
  });
});
