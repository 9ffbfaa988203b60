import { describe, expect, it, vi } from "vitest";
import { ACCOUNT, AUTH, fakeHub, freshRepository, HUB } from "../support/fake-registry";
import { callWorker, fakeUpstreams, settled } from "../support/fake-upstream";

/** An open mirror whose owner vouches that the Hub token reads public repositories only. */
const SHARED = {
  DOCKERHUB_USERNAME: ACCOUNT.username,
  DOCKERHUB_TOKEN: ACCOUNT.password,
  SHARE_UPSTREAM_CREDENTIALS: "true",
};
const ACCOUNT_BASIC = `Basic ${btoa(`${ACCOUNT.username}:${ACCOUNT.password}`)}`;
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe("upstream credentials for clients that bring none", () => {
  it("/v2/ answers 200 without a challenge, and content comes with the Worker's own Hub token", async () => {
    const hub = fakeHub();
    const repository = freshRepository();
    const base = await callWorker("https://example.com/v2/", {}, SHARED);
    expect(base.status).toBe(200);
    expect(base.headers.has("www-authenticate")).toBe(false);
    const response = await callWorker(`https://example.com/v2/${repository}/manifests/latest`, {}, SHARED);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`content of /v2/${repository}/manifests/latest`);
    const [tokenRequest] = hub.tokenRequests();
    expect(tokenRequest!.headers.get("authorization")).toBe(ACCOUNT_BASIC);
    expect(tokenRequest!.url.searchParams.get("service")).toBe("registry.docker.io");
    expect(tokenRequest!.url.searchParams.get("scope")).toBe(`repository:${repository}:pull`);
    expect(hub.registryRequests()[0]!.headers.get("authorization")).toMatch(/^Bearer hubtok-\d+-hubuser$/);
  });

  it("one token request serves a manifest and many blobs, even when they arrive together", async () => {
    const hub = fakeHub();
    const repository = freshRepository();
    expect((await callWorker(`https://example.com/v2/${repository}/manifests/latest`, {}, SHARED)).status).toBe(200);
    const blobs = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => callWorker(`https://example.com/v2/${repository}/blobs/${digest(n)}`, {}, SHARED)),
    );
    expect(blobs.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const parallel = freshRepository();
    await Promise.all(
      [1, 2, 3].map((n) => callWorker(`https://example.com/v2/${parallel}/blobs/${digest(n)}`, {}, SHARED)),
    );
    expect(hub.tokenRequests().map((r) => r.url.searchParams.get("scope"))).toEqual([
      `repository:${repository}:pull`,
      `repository:${parallel}:pull`,
    ]);
    // The tag: a HEAD, then the GET (the cache asks HEAD first: it is not a counted pull); then 6 + 3 blobs.
    expect(hub.registryRequests()).toHaveLength(11);
  });

  it("tokens are kept per credential: anonymous and account tokens are never mixed up", async () => {
    const hub = fakeHub();
    const repository = freshRepository();
    await callWorker(`https://example.com/v2/${repository}/manifests/latest`, {}, SHARED);
    const users = { MIRROR_USERS: "alice:alice-password", MIRROR_TOKEN_SECRET: "s".repeat(32) };
    const login = await callWorker(
      `https://example.com/token?scope=repository:${repository}:pull`,
      { headers: { authorization: `Basic ${btoa("alice:alice-password")}` } },
      users,
    );
    const { token } = (await login.json()) as { token: string };
    expect(
      (
        await callWorker(
          `https://example.com/v2/${repository}/manifests/latest`,
          { headers: { authorization: `Bearer ${token}` } },
          users,
        )
      ).status,
    ).toBe(200);
    expect(hub.tokenRequests().map((r) => r.headers.get("authorization"))).toEqual([ACCOUNT_BASIC, null]);
  });

  it("a cached token is replaced shortly before it expires", async () => {
    const hub = fakeHub({ ttl: 60 });
    const repository = freshRepository();
    const start = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(start);
    const get = () => callWorker(`https://example.com/v2/${repository}/manifests/latest`, {}, SHARED);
    await get();
    clock.mockReturnValue(start + 29_000);
    await get();
    expect(hub.tokenRequests()).toHaveLength(1);
    clock.mockReturnValue(start + 31_000);
    await get();
    expect(hub.tokenRequests()).toHaveLength(2);
  });

  it("a cached token the upstream no longer accepts is replaced once, and the request still succeeds", async () => {
    const hub = fakeHub();
    const repository = freshRepository();
    await callWorker(`https://example.com/v2/${repository}/manifests/latest`, {}, SHARED);
    hub.issued.clear(); // revoked
    const response = await callWorker(`https://example.com/v2/${repository}/manifests/latest`, {}, SHARED);
    expect(response.status).toBe(200);
    expect(hub.tokenRequests()).toHaveLength(2);
  });

  it("a client that brings its own token is passed through, and the Worker fetches none", async () => {
    const hub = fakeHub();
    const repository = freshRepository();
    const token = hub.issue("client", repository);
    const response = await callWorker(
      `https://example.com/v2/${repository}/manifests/latest`,
      { headers: { authorization: `Bearer ${token}` } },
      SHARED,
    );
    expect(response.status).toBe(200);
    expect(hub.registryRequests()[0]!.headers.get("authorization")).toBe(`Bearer ${token}`);
    expect(hub.tokenRequests()).toEqual([]);
  });

  it("an upstream refusal is relayed with a challenge to our /token, so a client can still log in upstream itself", async () => {
    fakeHub({
      registry: (_request, url) =>
        url.pathname.startsWith("/v2/private/not-ours/")
          ? new Response(null, {
              status: 401,
              headers: {
                "www-authenticate":
                  'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:private/not-ours:pull"',
              },
            })
          : undefined,
    });
    const vars = {
      DOCKERHUB_USERNAME: ACCOUNT.username,
      DOCKERHUB_TOKEN: ACCOUNT.password,
      ALLOWED_REPOSITORIES: '{"docker": ["private/*"]}',
    };
    const response = await callWorker("https://example.com/v2/private/not-ours/manifests/latest", {}, vars);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="https://example.com/token",service="registry.docker.io",scope="repository:private/not-ours:pull"',
    );
  });

  it("credentials the realm refuses are a 502 that names the upstream, not the credentials", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    fakeHub();
    const response = await callWorker(
      `https://example.com/v2/${freshRepository()}/manifests/latest`,
      {},
      { ...SHARED, DOCKERHUB_TOKEN: "dckr_pat_WRONG" },
    );
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).toContain("upstream of route docker: its token service refused the mirror's credentials");
    expect(text + JSON.stringify(errors.mock.calls)).not.toContain("dckr_pat_WRONG");
  });
});

describe("which clients the credentials serve", () => {
  const allowList = {
    DOCKERHUB_USERNAME: ACCOUNT.username,
    DOCKERHUB_TOKEN: ACCOUNT.password,
    ALLOWED_REPOSITORIES: '{"docker": ["library/*", "private/*"]}',
  };

  it("behind an allow list, an anonymous client pulls the account's private image, and nothing else outside the list", async () => {
    const hub = fakeHub();
    expect((await callWorker("https://example.com/v2/private/app/manifests/1", {}, allowList)).status).toBe(200);
    expect((await callWorker("https://example.com/v2/bitnami/redis/manifests/7", {}, allowList)).status).toBe(403);
    // HEAD then GET of the tag (the cache asks HEAD first), nothing else.
    expect(hub.registryRequests().map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      "HEAD /v2/private/app/manifests/1",
      "GET /v2/private/app/manifests/1",
    ]);
  });

  it("UPSTREAM_CREDENTIALS authenticate any route, at the realm its registry names", async () => {
    const basic = `Basic ${btoa("gh-user:ghp_SECRET")}`;
    const fake = fakeUpstreams({
      "ghcr.io": (request, url) => {
        if (url.pathname === "/token")
          return request.headers.get("authorization") === basic
            ? Response.json({ token: "ghcr-token" })
            : new Response(null, { status: 401 });
        if (request.headers.get("authorization") === "Bearer ghcr-token" && url.pathname !== "/v2/") {
          return new Response(null, {
            status: 307,
            headers: { location: "https://pkg-containers.githubusercontent.com/blob?sig=1" },
          });
        }
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' },
        });
      },
      "pkg-containers.githubusercontent.com": () => new Response("layer"),
    });
    const vars = {
      UPSTREAM_CREDENTIALS: '{"ghcr": {"username": "gh-user", "password": "ghp_SECRET"}}',
      ALLOWED_REPOSITORIES: '{"ghcr": ["o/**"]}',
    };
    const response = await callWorker(`https://ghcr.example.com/v2/o/private/blobs/${digest(7)}`, {}, vars);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("layer");
    const withBasic = fake.sent.filter((r) => r.headers.get("authorization") === basic).map((r) => r.url.href);
    expect(withBasic).toEqual(["https://ghcr.io/token?service=ghcr.io&scope=repository%3Ao%2Fprivate%3Apull"]);
    expect(fake.to("pkg-containers.githubusercontent.com")[0]!.headers.has("authorization")).toBe(false);
  });

  it("credentials never go to a realm a redirect target names", async () => {
    const fake = fakeHub({
      registry: (_request, url) =>
        url.pathname.includes("/blobs/")
          ? new Response(null, { status: 307, headers: { location: "https://cdn.example.net/blob" } })
          : undefined,
      extra: {
        "cdn.example.net": (request) =>
          request.headers.get("authorization") === "Bearer cdn-token"
            ? new Response("layer")
            : new Response(null, {
                status: 401,
                headers: { "www-authenticate": 'Bearer realm="https://auth.example.net/token",service="cdn"' },
              }),
        "auth.example.net": () => Response.json({ token: "cdn-token" }),
      },
    });
    const response = await callWorker(`https://example.com/v2/${freshRepository()}/blobs/${digest(3)}`, {}, SHARED);
    expect(response.status).toBe(200);
    expect(
      fake.sent.filter((r) => r.url.host !== AUTH).every((r) => !r.headers.get("authorization")?.startsWith("Basic")),
    ).toBe(true);
    expect(fake.to("cdn.example.net").every((r) => !r.headers.get("authorization")?.includes("hubtok"))).toBe(true);
  });

  it("a registry that asks for HTTP Basic gets the credentials directly, on its own origin only", async () => {
    const basic = `Basic ${btoa("robot:harbor-SECRET")}`;
    const fake = fakeUpstreams({
      "harbor.example.net": (request) =>
        request.headers.get("authorization") === basic
          ? new Response("{}")
          : new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="harbor"' } }),
    });
    const vars = {
      UPSTREAMS: '{"harbor": {"registry": "https://harbor.example.net"}}',
      UPSTREAM_CREDENTIALS: '{"harbor": {"username": "robot", "password": "harbor-SECRET"}}',
      SHARE_UPSTREAM_CREDENTIALS: "true",
    };
    expect((await callWorker("https://harbor.example.com/v2/p/img/manifests/1", {}, vars)).status).toBe(200);
    // The /v2/ probe that finds the Basic scheme, then the tag's HEAD and GET with the credentials.
    expect(fake.sent.map((r) => r.headers.get("authorization"))).toEqual([null, basic, basic]);
  });
});

describe("credentials and tokens never reach a client or a log", () => {
  it("across a pull, a refusal, a rate limit and a misconfiguration", async () => {
    const logged: unknown[] = [];
    for (const level of ["log", "error", "warn", "info", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(...args));
    }
    let limited = false;
    const hub = fakeHub({ registry: () => (limited ? new Response("slow down", { status: 429 }) : undefined) });
    const repository = freshRepository();
    const seen: string[] = [];
    const call = async (url: string, vars: Record<string, string>) => {
      const response = await callWorker(url, {}, vars);
      seen.push(String(response.status), JSON.stringify([...response.headers]), await response.text());
    };
    await call("https://example.com/v2/", SHARED);
    await call(`https://example.com/v2/${repository}/manifests/latest`, SHARED);
    await call(`https://example.com/v2/${repository}/blobs/${digest(1)}`, SHARED);
    await call(`https://example.com/v2/${freshRepository()}/manifests/latest`, {
      ...SHARED,
      DOCKERHUB_TOKEN: "dckr_pat_WRONG-secret",
    });
    await call(`https://example.com/v2/${repository}/manifests/latest`, {
      DOCKERHUB_USERNAME: ACCOUNT.username,
      DOCKERHUB_TOKEN: ACCOUNT.password,
    });
    limited = true;
    await call(`https://example.com/v2/${repository}/manifests/latest`, SHARED);
    const tokens = [...hub.issued.keys()];
    expect(tokens.length).toBeGreaterThan(0);
    const everything = [...seen, ...logged.map(String)].join("\n");
    for (const secret of [
      ACCOUNT.password,
      "dckr_pat_WRONG-secret",
      btoa(`${ACCOUNT.username}:${ACCOUNT.password}`),
      ...tokens,
      "account-uuid-1234",
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).toContain("upstream rate limit"); // the headers were logged, without any secret
  });
});

describe("upstream 429", () => {
  it.each([
    ["its own Retry-After", { "retry-after": "120" }, "120"],
    ["an HTTP-date Retry-After", { "retry-after": "Wed, 21 Oct 2026 07:28:00 GMT" }, "Wed, 21 Oct 2026 07:28:00 GMT"],
    ["60 s when it sends none", {}, "60"],
    ["60 s when it sends garbage", { "retry-after": "soon" }, "60"],
  ])("becomes TOOMANYREQUESTS with %s", async (_label, headers, retryAfter) => {
    fakeUpstreams({
      [HUB]: () =>
        new Response("<html>Too Many Requests</html>", {
          status: 429,
          headers: { ...headers, "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" },
        }),
    });
    vi.spyOn(console, "log").mockImplementation(() => {});
    const response = await callWorker("https://example.com/v2/alpine/manifests/latest");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe(retryAfter);
    expect(response.headers.get("ratelimit-remaining")).toBe("0;w=21600");
    expect(await response.json()).toEqual({
      errors: [
        {
          code: "TOOMANYREQUESTS",
          message: "upstream of route docker: rate-limiting this mirror; retry later",
          detail: { route: "docker" },
        },
      ],
    });
  });

  it("logs the upstream's rate-limit headers", async () => {
    const logs = vi.spyOn(console, "log").mockImplementation(() => {});
    fakeUpstreams({
      [HUB]: () =>
        new Response("{}", { headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "42;w=21600" } }),
    });
    const response = await callWorker("https://example.com/v2/alpine/manifests/latest");
    expect(response.headers.get("ratelimit-remaining")).toBe("42;w=21600");
    const line = logs.mock.calls.map(([text]) => String(text)).find((text) => text.includes("upstream rate limit"));
    expect(JSON.parse(line!)).toEqual({
      msg: "upstream rate limit",
      route: "docker",
      status: 200,
      limit: "100;w=21600",
      remaining: "42;w=21600",
    });
  });

  it("a 429 from the token service is TOOMANYREQUESTS too", async () => {
    fakeHub({ extra: { [AUTH]: () => new Response(null, { status: 429, headers: { "retry-after": "30" } }) } });
    const response = await callWorker(`https://example.com/v2/${freshRepository()}/manifests/latest`, {}, SHARED);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
  });
});

describe("UPSTREAM_FALLBACKS", () => {
  const vars = { UPSTREAM_FALLBACKS: '{"docker": "https://mirror.gcr.io"}' };
  const hubLimited = () => new Response(null, { status: 429, headers: { "retry-after": "90" } });

  it("retries a rate-limited manifest or blob once on the fallback, without anyone's credentials", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const fake = fakeUpstreams({
      [HUB]: hubLimited,
      "mirror.gcr.io": (_r, url) => new Response(url.pathname === "/v2/" ? "{}" : `mirrored ${url.pathname}`),
    });
    const manifest = await callWorker(
      "https://example.com/v2/alpine/manifests/3.20",
      { headers: { authorization: "Bearer client-hub-token" } },
      vars,
    );
    expect(manifest.status).toBe(200);
    expect(await manifest.text()).toBe("mirrored /v2/library/alpine/manifests/3.20");
    const blob = await callWorker(`https://example.com/v2/alpine/blobs/${digest(2)}`, {}, vars);
    expect(await blob.text()).toBe(`mirrored /v2/library/alpine/blobs/${digest(2)}`);
    expect(fake.to("mirror.gcr.io").every((r) => !r.headers.has("authorization"))).toBe(true);
    expect(fake.to(HUB)).toHaveLength(3); // the tag's HEAD (the cache asks it first), then the two rate-limited GETs
  });

  it("when the fallback fails too, the client gets the upstream's 429", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    fakeUpstreams({
      [HUB]: hubLimited,
      "mirror.gcr.io": (_r, url) =>
        new Response(url.pathname === "/v2/" ? "{}" : "not here", { status: url.pathname === "/v2/" ? 200 : 404 }),
    });
    const response = await callWorker("https://example.com/v2/some/thing/manifests/1", {}, vars);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("90");
  });

  it("tag lists are not retried elsewhere, and a route without a fallback goes nowhere else", async () => {
    const fake = fakeUpstreams({ [HUB]: hubLimited, "ghcr.io": hubLimited });
    expect((await callWorker("https://example.com/v2/alpine/tags/list", {}, vars)).status).toBe(429);
    expect((await callWorker("https://example.com/v2/ghcr.io/o/i/manifests/1", {}, vars)).status).toBe(429);
    expect(fake.unexpected).toEqual([]);
  });
});

describe("the cache and the Worker's own credentials", () => {
  const allowList = {
    DOCKERHUB_USERNAME: ACCOUNT.username,
    DOCKERHUB_TOKEN: ACCOUNT.password,
    ALLOWED_REPOSITORIES: '{"docker": ["library/*", "private/*"]}',
  };

  it("a private blob fetched with the account is not shared: asked for under another repository, the upstream decides", async () => {
    const layer = crypto.getRandomValues(new Uint8Array(4096));
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", layer));
    const digest = `sha256:${[...hash].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
    const hub = fakeHub({
      registry: (request, url) => {
        const account = (request.headers.get("authorization") ?? "").endsWith(`-${ACCOUNT.username}`);
        if (url.pathname === `/v2/private/app/blobs/${digest}` && account)
          return new Response(layer, { headers: { "content-length": String(layer.length) } });
        // Distribution links blobs to repositories: this digest is unknown to library/alpine, whoever asks.
        if (url.pathname === `/v2/library/alpine/blobs/${digest}`)
          return Response.json({ errors: [{ code: "BLOB_UNKNOWN" }] }, { status: 404 });
        return undefined;
      },
    });
    const first = await callWorker(`https://example.com/v2/private/app/blobs/${digest}`, {}, allowList);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(layer);
    await settled();
    const elsewhere = await callWorker(`https://example.com/v2/library/alpine/blobs/${digest}`, {}, allowList);
    expect(elsewhere.status).toBe(404);
    expect(hub.registryRequests().some((r) => r.url.pathname === `/v2/library/alpine/blobs/${digest}`)).toBe(true);
  });
});
