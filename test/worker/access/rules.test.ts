import { describe, expect, it, vi } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const HUB = "registry-1.docker.io";
const digest = `sha256:${"b".repeat(64)}`;

/** Every upstream answers 200, so a refused request is one the Worker refused itself. */
function openUpstreams() {
  const ok = () => new Response("{}", { headers: { "content-type": "application/json" } });
  return fakeUpstreams({ [HUB]: ok, "ghcr.io": ok, "quay.io": ok });
}

async function codeOf(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: { code: string; message: string }[] };
  return body.errors?.[0]?.code;
}

describe("DENIED_REPOSITORIES cannot be bypassed", () => {
  const vars = { DENIED_REPOSITORIES: '{"docker": ["library/nginx", "bitnami/*"]}' };

  it.each([
    "https://example.com/v2/nginx/manifests/latest",
    "https://example.com/v2/library/nginx/manifests/latest",
    "https://docker.example.com/v2/nginx/manifests/latest",
    "https://example.com/v2/docker.io/nginx/manifests/latest",
    "https://example.com/v2/docker.io/library/nginx/manifests/latest",
    "https://example.com/v2/DOCKER.IO/library/nginx/manifests/latest",
    "https://example.com/v2/index.docker.io/nginx/manifests/latest",
    "https://example.com/v2/registry-1.docker.io/library/nginx/manifests/latest",
    "https://quay.example.com/v2/docker.io/nginx/manifests/latest",
    "https://ghcr.example.com/v2/docker.io/library/nginx/manifests/latest",
    "https://example.com/v2/library/nginx/manifests/latest?ns=docker.io",
    "https://example.com/v2/library/nginx/manifests/latest?ns=DOCKER.IO",
    "https://example.com/v2/library/nginx/manifests/latest?ns=index.docker.io",
    `https://example.com/v2/nginx/blobs/${digest}`,
    `https://example.com/v2/nginx/referrers/${digest}`,
    "https://example.com/v2/nginx/tags/list",
    "https://example.com/v2/bitnami/redis/manifests/7",
    "https://example.com/v2/docker.io/bitnami/redis/manifests/7",
    "https://example.com/v2/bitnami/redis/tags/list?ns=docker.io",
  ])("%s -> 403 DENIED, nothing fetched", async (url) => {
    const fake = openUpstreams();
    const response = await callWorker(url, { method: "GET" }, vars);
    expect(response.status).toBe(403);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]!.code).toBe("DENIED");
    expect(body.errors[0]!.message).toMatch(
      /^the image (library\/nginx|bitnami\/redis) of route docker is not allowed on this mirror$/,
    );
    expect(fake.sent).toEqual([]);
  });

  it("an upper-case spelling is not a repository at all: 400, nothing fetched", async () => {
    const fake = openUpstreams();
    for (const path of [
      "/v2/NGINX/manifests/latest",
      "/v2/Library/Nginx/manifests/latest",
      "/v2/docker.io/Bitnami/redis/manifests/7",
    ]) {
      expect((await callWorker(`https://example.com${path}`, {}, vars)).status).toBe(400);
    }
    expect(fake.sent).toEqual([]);
  });

  it("HEAD is refused like GET", async () => {
    openUpstreams();
    const response = await callWorker("https://example.com/v2/nginx/manifests/latest", { method: "HEAD" }, vars);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe("");
  });

  it("other repositories and routes are served", async () => {
    const fake = openUpstreams();
    expect((await callWorker("https://example.com/v2/alpine/manifests/latest", {}, vars)).status).toBe(200);
    expect((await callWorker("https://example.com/v2/nginx-unprivileged/manifests/latest", {}, vars)).status).toBe(200);
    expect((await callWorker("https://example.com/v2/ghcr.io/bitnami/redis/manifests/7", {}, vars)).status).toBe(200);
    // Each tag is asked with HEAD, then GET: the cache asks HEAD first.
    expect(fake.sent.map((r) => `${r.method} ${r.url.href}`)).toEqual([
      "HEAD https://registry-1.docker.io/v2/library/alpine/manifests/latest",
      "GET https://registry-1.docker.io/v2/library/alpine/manifests/latest",
      "HEAD https://registry-1.docker.io/v2/library/nginx-unprivileged/manifests/latest",
      "GET https://registry-1.docker.io/v2/library/nginx-unprivileged/manifests/latest",
      "HEAD https://ghcr.io/v2/bitnami/redis/manifests/7",
      "GET https://ghcr.io/v2/bitnami/redis/manifests/7",
    ]);
  });

  it("a route added with UPSTREAMS for the same registry shares the list", async () => {
    const fake = openUpstreams();
    const response = await callWorker(
      "https://hub2.example.com/v2/library/nginx/manifests/latest",
      {},
      {
        ...vars,
        UPSTREAMS: '{"hub2": {"registry": "https://registry-1.docker.io"}}',
      },
    );
    expect(response.status).toBe(403);
    expect(fake.sent).toEqual([]);
  });
});

describe("repository globs against a client's longest name", () => {
  it("a deny list built to make a backtracking matcher spin answers as fast as a plain one", async () => {
    openUpstreams();
    const url = `https://ghcr.example.com/v2/${"a".repeat(255)}/tags/list`;
    const elapsed = async (globs: string[]) => {
      const started = performance.now();
      for (let i = 0; i < 10; i++)
        expect((await callWorker(url, {}, { DENIED_REPOSITORIES: JSON.stringify({ ghcr: globs }) })).status).toBe(200);
      return performance.now() - started;
    };
    const plain = await elapsed(["b"]);
    const pathological = await elapsed(["*a*a*a*a*a*b", "**a**a**a**a**a**a**c", "*a*a*a*a*a*/x"]);
    // The same requests with a one-glob list are the yardstick; a backtracking matcher takes minutes per request.
    expect(pathological).toBeLessThan(plain * 3 + 50);
  });
});

describe("ALLOWED_REPOSITORIES", () => {
  const vars = { ALLOWED_REPOSITORIES: '{"docker": ["library/*"], "ghcr.io": ["owner/**"]}' };

  it.each([
    ["https://example.com/v2/alpine/manifests/latest", 200],
    ["https://example.com/v2/library/alpine/tags/list?ns=docker.io", 200],
    ["https://example.com/v2/ghcr.io/owner/team/img/manifests/1", 200],
    ["https://ghcr.example.com/v2/owner/img/manifests/1", 200],
    ["https://example.com/v2/bitnami/redis/manifests/7", 403],
    ["https://example.com/v2/docker.io/bitnami/redis/manifests/7", 403],
    ["https://example.com/v2/ghcr.io/other/img/manifests/1", 403],
    ["https://example.com/v2/other/img/manifests/1?ns=ghcr.io", 403],
    // A route without an entry serves nothing once there is an allow list.
    ["https://quay.example.com/v2/coreos/etcd/manifests/1", 403],
    ["https://example.com/v2/quay.io/coreos/etcd/manifests/1", 403],
  ])("%s -> %i", async (url, status) => {
    const fake = openUpstreams();
    const response = await callWorker(url, {}, vars);
    expect(response.status).toBe(status);
    if (status === 403) {
      expect(await codeOf(response)).toBe("DENIED");
      expect(fake.sent).toEqual([]);
    }
  });

  it("deny wins over allow", async () => {
    const fake = openUpstreams();
    const response = await callWorker(
      "https://example.com/v2/nginx/manifests/latest",
      {},
      { ...vars, DENIED_REPOSITORIES: '{"docker": ["nginx"]}' },
    );
    expect(response.status).toBe(403);
    expect(await codeOf(response)).toBe("DENIED");
    expect(fake.sent).toEqual([]);
  });

  it("/v2/ and /token stay reachable: clients ping and log in before they name a repository", async () => {
    const fake = fakeUpstreams({
      [HUB]: () =>
        new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"' },
        }),
      "auth.docker.io": () => Response.json({ token: "t" }),
    });
    expect((await callWorker("https://example.com/v2/", {}, vars)).status).toBe(401);
    expect((await callWorker("https://example.com/token?service=registry.docker.io", {}, vars)).status).toBe(200);
    expect(fake.sent).toHaveLength(2);
  });
});

describe("BLOCKED_USER_AGENTS", () => {
  const vars = { BLOCKED_USER_AGENTS: "bot, Crawler\nspider" };

  // At / a crawler gets the decoy instead (issue 8): access-pages.test.ts.
  it.each(["/v2/", "/v2/alpine/manifests/latest", "/token"])(
    "a crawler gets 403 at %s, and nothing is fetched",
    async (path) => {
      const fake = openUpstreams();
      const response = await callWorker(
        `https://example.com${path}`,
        { headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1)" } },
        vars,
      );
      expect(response.status).toBe(403);
      expect(await codeOf(response)).toBe("DENIED");
      expect(fake.sent).toEqual([]);
    },
  );

  it("matches case-insensitively, and lets registry clients through", async () => {
    openUpstreams();
    const blocked = await callWorker(
      "https://example.com/v2/alpine/tags/list",
      { headers: { "user-agent": "SomeCRAWLER/1.0" } },
      vars,
    );
    expect(blocked.status).toBe(403);
    for (const agent of ["docker/28.0.1 go/go1.24", "containerd/2.0", "skopeo/1.15", ""]) {
      expect(
        (await callWorker("https://example.com/v2/alpine/tags/list", { headers: { "user-agent": agent } }, vars))
          .status,
      ).toBe(200);
    }
  });
});

describe("RATE_LIMITER", () => {
  /** A fake Rate Limiting binding that lets `allowed` requests per key through. */
  function fakeLimiter(allowed: number) {
    const counts = new Map<string, number>();
    const limit = vi.fn(async ({ key }: { key: string }) => {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { success: counts.get(key)! <= allowed };
    });
    return { binding: { limit }, limit };
  }

  it("answers 429 TOOMANYREQUESTS with Retry-After once a client is over, before any upstream request", async () => {
    const fake = openUpstreams();
    const { binding } = fakeLimiter(2);
    const call = (ip: string) =>
      callWorker(
        "https://example.com/v2/alpine/tags/list",
        { headers: { "cf-connecting-ip": ip } },
        { RATE_LIMITER: binding },
      );
    expect((await call("203.0.113.1")).status).toBe(200);
    expect((await call("203.0.113.1")).status).toBe(200);
    const over = await call("203.0.113.1");
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("60");
    expect(await codeOf(over)).toBe("TOOMANYREQUESTS");
    expect((await call("203.0.113.2")).status).toBe(200);
    expect(fake.sent).toHaveLength(3);
  });

  it("counts /token and the home page too, and an IPv6 client by its /64", async () => {
    openUpstreams();
    const { binding, limit } = fakeLimiter(100);
    await callWorker(
      "https://example.com/",
      { headers: { "cf-connecting-ip": "2001:db8:1:2::1" } },
      { RATE_LIMITER: binding },
    );
    await callWorker(
      "https://example.com/token",
      { headers: { "cf-connecting-ip": "2001:db8:1:2:ffff::9" } },
      { RATE_LIMITER: binding },
    );
    expect(limit.mock.calls.map(([options]) => options.key)).toEqual(["2001:db8:1:2::/64", "2001:db8:1:2::/64"]);
  });

  it("a limiter that fails lets the request through and logs why", async () => {
    openUpstreams();
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const binding = { limit: async () => Promise.reject(new Error("limiter unavailable")) };
    expect((await callWorker("https://example.com/v2/alpine/tags/list", {}, { RATE_LIMITER: binding })).status).toBe(
      200,
    );
    expect(String(errors.mock.calls[0]?.[0])).toContain("rate limiter failed");
  });
});

describe("a malformed access setting fails every request, loudly, and opens nothing", () => {
  it.each([
    ["MIRROR_USERS", { MIRROR_USERS: "alice-no-colon", MIRROR_TOKEN_SECRET: "x".repeat(40) }],
    ["MIRROR_TOKEN_SECRET", { MIRROR_USERS: "alice:password1", MIRROR_TOKEN_SECRET: "short" }],
    ["ALLOWED_REPOSITORIES", { ALLOWED_REPOSITORIES: "library/*" }],
    ["DENIED_REPOSITORIES", { DENIED_REPOSITORIES: '{"docker": ["(nginx)"]}' }],
    ["DOCKERHUB_TOKEN", { DOCKERHUB_USERNAME: "me", DOCKERHUB_TOKEN: "dckr_pat_secret" }],
    ["UPSTREAM_FALLBACKS", { UPSTREAM_FALLBACKS: '{"docker": "mirror.gcr.io"}' }],
    ["RATE_LIMITER", { RATE_LIMITER: { nope: true } }],
  ])("%s", async (variable, vars) => {
    const fake = openUpstreams();
    for (const path of ["/", "/v2/", "/v2/alpine/manifests/latest", "/token"]) {
      const response = await callWorker(`https://example.com${path}`, {}, vars);
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).toContain(variable);
      expect(text).not.toContain("dckr_pat_secret");
    }
    expect(fake.sent).toEqual([]);
  });
});
