import { describe, expect, it, vi } from "vitest";
import { parseChallenge } from "../../../src/core/challenge";
import { AUTH, fakeHub, HUB } from "../support/fake-registry";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const SECRET = "mirror-token-secret-0123456789-abcdefghij";
const USERS = { MIRROR_USERS: "alice:alice-password, bob:bob-password-2", MIRROR_TOKEN_SECRET: SECRET };

function basic(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}

/** docker's way: GET the realm with Basic credentials and the scopes; the token, or the failed response. */
async function login(
  scopes: string[],
  options: { realm?: string; user?: string; password?: string; vars?: Record<string, string> } = {},
) {
  const url = new URL(options.realm ?? "https://example.com/token");
  url.searchParams.set("service", url.host);
  for (const scope of scopes) url.searchParams.append("scope", scope);
  const response = await callWorker(
    url.href,
    { headers: { authorization: basic(options.user ?? "alice", options.password ?? "alice-password") } },
    options.vars ?? USERS,
  );
  if (!response.ok) return { response, token: "" };
  const body = (await response.json()) as { token: string; access_token: string; expires_in: number; scope: string };
  expect(body.access_token).toBe(body.token);
  return { response, token: body.token, body };
}

function pull(url: string, token: string, vars: Record<string, string> = USERS): Promise<Response> {
  return callWorker(url, { headers: { authorization: `Bearer ${token}` } }, vars);
}

function challengeOf(response: Response) {
  return parseChallenge(response.headers.get("www-authenticate") ?? "")?.params;
}

describe("without a mirror token, every registry request is challenged", () => {
  it.each([
    ["https://example.com/v2/", { realm: "https://example.com/token", service: "example.com" }],
    [
      "https://example.com/v2/alpine/manifests/latest",
      { realm: "https://example.com/token", service: "example.com", scope: "repository:library/alpine:pull" },
    ],
    [
      "https://example.com/v2/ghcr.io/o/i/manifests/1",
      { realm: "https://example.com/token?ns=ghcr.io", service: "example.com", scope: "repository:o/i:pull" },
    ],
    [
      "https://example.com/v2/o/i/tags/list?ns=ghcr.io",
      { realm: "https://example.com/token?ns=ghcr.io", service: "example.com", scope: "repository:o/i:pull" },
    ],
    [
      `https://ghcr.example.com/v2/o/i/blobs/sha256:${"c".repeat(64)}`,
      { realm: "https://ghcr.example.com/token", service: "ghcr.example.com", scope: "repository:o/i:pull" },
    ],
  ])("%s -> 401 with a challenge to this mirror's /token", async (url, params) => {
    const fake = fakeUpstreams({});
    const response = await callWorker(url, {}, USERS);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("UNAUTHORIZED");
    expect(challengeOf(response)).toEqual(params);
    expect(fake.sent).toEqual([]);
  });

  it("a Basic header on a registry request is not a login", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker(
      "https://example.com/v2/",
      { headers: { authorization: basic("alice", "alice-password") } },
      USERS,
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('realm="https://example.com/token"');
    expect(fake.sent).toEqual([]);
  });
});

describe("/token in mirror users mode", () => {
  it.each([
    ["no credentials", undefined, "this mirror requires docker login"],
    ["a wrong password", basic("alice", "bob-password-2"), "incorrect username or password"],
    ["an unknown user", basic("mallory", "alice-password"), "incorrect username or password"],
    ["a password with a prefix of the right one", basic("alice", "alice-pass"), "incorrect username or password"],
    ["garbage", "Basic !!!", "this mirror requires docker login"],
  ])("refuses %s with 401, and asks no upstream", async (_label, authorization, message) => {
    const fake = fakeUpstreams({});
    const response = await callWorker(
      "https://example.com/token?service=example.com&scope=repository:alpine:pull",
      authorization ? { headers: { authorization } } : {},
      USERS,
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="https://example.com/token"');
    const text = await response.text();
    expect(text).toContain(message);
    expect(text).not.toContain("password-2");
    expect(fake.sent).toEqual([]);
  });

  it("issues a short-lived token to a known user (docker login), and /v2/ then answers 200 without asking upstream", async () => {
    const fake = fakeUpstreams({});
    const { body, token, response } = await login([], { user: "bob", password: "bob-password-2" });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body!.expires_in).toBe(300);
    const base = await pull("https://example.com/v2/", token);
    expect(base.status).toBe(200);
    expect(base.headers.get("docker-distribution-api-version")).toBe("registry/2.0");
    expect(fake.sent).toEqual([]);
  });

  it("containerd's OAuth2 POST form (grant_type=password) works too", async () => {
    fakeUpstreams({});
    const form = new URLSearchParams({
      grant_type: "password",
      username: "alice",
      password: "alice-password",
      service: "example.com",
      scope: "repository:library/alpine:pull repository:nginx:pull",
      client_id: "containerd-client",
    });
    const response = await callWorker("https://example.com/token?ns=docker.io", { method: "POST", body: form }, USERS);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { access_token: string; scope: string };
    expect(body.scope).toBe("repository:library/alpine:pull repository:nginx:pull");
    fakeHub();
    expect(
      (await pull("https://example.com/v2/library/alpine/manifests/latest?ns=docker.io", body.access_token)).status,
    ).toBe(200);
  });

  it("the POST form refuses a wrong password, and grants other than password", async () => {
    fakeUpstreams({});
    const wrong = new URLSearchParams({
      grant_type: "password",
      username: "alice",
      password: "nope-nope-nope",
      scope: "",
    });
    expect((await callWorker("https://example.com/token", { method: "POST", body: wrong }, USERS)).status).toBe(401);
    const refresh = new URLSearchParams({ grant_type: "refresh_token", refresh_token: "x" });
    expect((await callWorker("https://example.com/token", { method: "POST", body: refresh }, USERS)).status).toBe(400);
  });
});

describe("a mirror token covers exactly the repositories it was issued for", () => {
  it("one token for alpine serves library/alpine however the client spells it, and never leaves the Worker", async () => {
    const { token } = await login(["repository:library/alpine:pull"]);
    const hub = fakeHub();
    for (const url of [
      "https://example.com/v2/alpine/manifests/latest",
      "https://example.com/v2/library/alpine/manifests/latest",
      "https://example.com/v2/docker.io/alpine/manifests/latest",
      "https://docker.example.com/v2/docker.io/library/alpine/tags/list",
      "https://example.com/v2/library/alpine/manifests/latest?ns=docker.io",
    ]) {
      expect((await pull(url, token)).status, url).toBe(200);
    }
    // Upstream saw the Worker's own anonymous Hub token (no credentials are configured), never the mirror's.
    expect(hub.sent.every((r) => r.headers.get("authorization") !== `Bearer ${token}`)).toBe(true);
    expect(hub.registryRequests().every((r) => r.headers.get("authorization")?.startsWith("Bearer hubtok-"))).toBe(
      true,
    );
    expect(hub.tokenRequests().every((r) => !r.headers.has("authorization"))).toBe(true);
  });

  it("a docker-style scope with the registry prefix, at a realm that carries ns, covers the prefixed path", async () => {
    const { token } = await login(["repository:ghcr.io/o/i:pull"], { realm: "https://example.com/token?ns=ghcr.io" });
    const fake = fakeUpstreams({
      "ghcr.io": (request, url) => {
        if (url.pathname === "/token") return Response.json({ token: "ghcr-anonymous" });
        if (url.pathname !== "/v2/" && request.headers.get("authorization") === "Bearer ghcr-anonymous")
          return new Response("{}");
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' },
        });
      },
    });
    expect((await pull("https://example.com/v2/ghcr.io/o/i/manifests/1", token)).status).toBe(200);
    expect((await pull("https://example.com/v2/o/i/manifests/1?ns=ghcr.io", token)).status).toBe(200);
    expect(fake.sent.every((r) => !r.headers.get("authorization")?.includes(token))).toBe(true);
  });

  it("a token for one repository is refused for another, before any upstream request", async () => {
    const { token } = await login(["repository:alpine:pull"]);
    const fake = fakeUpstreams({});
    for (const url of [
      "https://example.com/v2/busybox/manifests/latest",
      "https://example.com/v2/ghcr.io/library/alpine/manifests/1",
      "https://example.com/v2/alpine/manifests/1?ns=quay.io",
    ]) {
      const response = await pull(url, token);
      expect(response.status, url).toBe(401);
      expect(challengeOf(response)?.error).toBe("insufficient_scope");
    }
    expect(fake.sent).toEqual([]);
  });

  it("a token signed with another secret is refused", async () => {
    const { token } = await login(["repository:alpine:pull"], {
      vars: { ...USERS, MIRROR_TOKEN_SECRET: `${SECRET}-other-deployment` },
    });
    const fake = fakeUpstreams({});
    const response = await pull("https://example.com/v2/alpine/manifests/latest", token);
    expect(response.status).toBe(401);
    expect(challengeOf(response)?.error).toBe("invalid_token");
    expect(fake.sent).toEqual([]);
  });

  it("an expired token is refused", async () => {
    const { token } = await login(["repository:alpine:pull"]);
    const fake = fakeUpstreams({});
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + 301_000);
    const response = await pull("https://example.com/v2/alpine/manifests/latest", token);
    expect(response.status).toBe(401);
    expect(challengeOf(response)?.error).toBe("invalid_token");
    expect(fake.sent).toEqual([]);
  });

  it("a token whose grants were edited is refused", async () => {
    const { token } = await login(["repository:alpine:pull"]);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as { access: string[] };
    claims.access.push("docker/library/busybox");
    const edited = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    fakeUpstreams({});
    const response = await pull("https://example.com/v2/busybox/manifests/latest", `${header}.${edited}.${signature}`);
    expect(response.status).toBe(401);
    expect(challengeOf(response)?.error).toBe("invalid_token");
  });
});

describe("mirror users and the repository lists", () => {
  const vars = { ...USERS, DENIED_REPOSITORIES: '{"docker": ["nginx"]}' };

  it("a denied repository is not granted, and a logged-in user is told why it is refused", async () => {
    const { body, token } = await login(["repository:alpine:pull", "repository:nginx:pull"], { vars });
    expect(body!.scope).toBe("repository:alpine:pull");
    const fake = fakeUpstreams({});
    const response = await pull("https://example.com/v2/nginx/manifests/latest", token, vars);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("is not allowed on this mirror");
    expect(fake.sent).toEqual([]);
  });

  it("a stranger learns nothing about the lists: 401 first", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker("https://example.com/v2/nginx/manifests/latest", {}, vars);
    expect(response.status).toBe(401);
    const body = await response.text();
    expect(JSON.parse(body).errors[0].code).toBe("UNAUTHORIZED");
    expect(body).not.toMatch(/allow|deny|list/i);
    expect(fake.sent).toEqual([]);
  });
});

describe("in mirror users mode the upstream sees only the Worker", () => {
  it("an upstream that refuses the Worker is a 403 for the client, not a challenge it cannot answer", async () => {
    const { token } = await login(["repository:private/thing:pull"]);
    const hub = fakeHub();
    const response = await pull("https://example.com/v2/private/thing/manifests/latest", token);
    expect(response.status).toBe(403);
    expect(response.headers.has("www-authenticate")).toBe(false);
    expect(await response.text()).toContain("refused the mirror access to private/thing");
    expect(hub.to(AUTH).length).toBeGreaterThan(0);
    expect(hub.to(HUB).every((r) => r.headers.get("authorization") !== `Bearer ${token}`)).toBe(true);
  });
});
