import { describe, expect, it, vi } from "vitest";
import { ACCOUNT } from "../support/fake-registry";
import { callWorker, fakeUpstreams, postTokenForm, type SentRequest } from "../support/fake-upstream";

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const CLIENT_BASIC = `Basic ${btoa("client:client-password")}`;
const OWNER_BASIC = `Basic ${btoa(`${ACCOUNT.username}:${ACCOUNT.password}`)}`;
const EVIL = "evil.example";
const EVIL_CHALLENGE = `Bearer realm="https://${EVIL}/token",service="evil"`;
const withAuthorization = (sent: SentRequest[], value: string) =>
  sent.filter((r) => r.headers.get("authorization") === value).map((r) => r.url.host);

/** quay.io as it is: its own /v2/ names its realm; `special` answers the requests a case is about. */
function quay(special: (request: Request, url: URL) => Response | undefined = () => undefined) {
  return (request: Request, url: URL): Response => {
    if (url.pathname === "/v2/auth") return Response.json({ token: "q" });
    const answer = special(request, url);
    if (answer) return answer;
    return new Response(null, {
      status: 401,
      headers: { "www-authenticate": 'Bearer realm="https://quay.io/v2/auth",service="quay.io"' },
    });
  };
}

describe("a realm is pinned: only the registry's own /v2/ 401 names it", () => {
  it.each([
    [
      "a redirect target answering 403 with a challenge",
      {},
      quay((_r, url) =>
        url.pathname.includes("/blobs/") ? Response.redirect("https://cdn.example.net/blob", 307) : undefined,
      ),
      new Response(null, { status: 403, headers: { "www-authenticate": EVIL_CHALLENGE } }),
    ],
    [
      "a redirect target answering 200 with a challenge",
      {},
      quay((_r, url) =>
        url.pathname.includes("/blobs/") ? Response.redirect("https://cdn.example.net/blob", 307) : undefined,
      ),
      new Response("layer", { headers: { "www-authenticate": EVIL_CHALLENGE } }),
    ],
    [
      "a fallback answering 200 with a challenge",
      { UPSTREAM_FALLBACKS: '{"quay": "https://cdn.example.net"}' },
      quay((_r, url) => (url.pathname.includes("/blobs/") ? new Response(null, { status: 429 }) : undefined)),
      new Response("layer", { headers: { "www-authenticate": EVIL_CHALLENGE } }),
    ],
  ])("%s does not change it: the next login goes to the registry's realm", async (_label, vars, registry, answer) => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const fake = fakeUpstreams({
      "quay.io": registry,
      "cdn.example.net": (_r, url) => (url.pathname === "/v2/" ? new Response("{}") : answer.clone()),
      [EVIL]: () => Response.json({ token: "evil" }),
    });
    await (
      await callWorker(
        `https://quay.example.com/v2/o/i/blobs/${digest(1)}`,
        { headers: { authorization: "Bearer q" } },
        vars,
      )
    ).body?.cancel();
    const login = await callWorker(
      "https://quay.example.com/token?service=quay.io&scope=repository:o/i:pull",
      { headers: { authorization: CLIENT_BASIC } },
      vars,
    );
    expect(await login.json()).toEqual({ token: "q" });
    expect(fake.to(EVIL)).toEqual([]);
    expect(withAuthorization(fake.sent, CLIENT_BASIC)).toEqual(["quay.io"]);
  });
});

describe("the owner's credentials go only to realm hosts listed for the registry", () => {
  const ghcrVars = {
    UPSTREAM_CREDENTIALS: `{"ghcr": {"username": "${ACCOUNT.username}", "password": "${ACCOUNT.password}"}}`,
    SHARE_UPSTREAM_CREDENTIALS: "true",
  };
  const registryNaming = (realm: string) => (request: Request, url: URL) =>
    url.pathname === "/v2/" || !request.headers.get("authorization")?.startsWith("Bearer ")
      ? new Response(null, {
          status: 401,
          headers: { "www-authenticate": `Bearer realm="${realm}",service="ghcr.io"` },
        })
      : new Response("manifest");

  it("a challenge naming a realm on another host gets no credentials: the token is fetched anonymously", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const fake = fakeUpstreams({
      "ghcr.io": registryNaming(`https://${EVIL}/token`),
      [EVIL]: () => Response.json({ token: "anonymous" }),
    });
    const response = await callWorker("https://ghcr.example.com/v2/o/i/tags/list", {}, ghcrVars);
    expect(response.status).toBe(200);
    expect(fake.to(EVIL)).toHaveLength(1);
    expect(withAuthorization(fake.sent, OWNER_BASIC)).toEqual([]);
    expect(String(warn.mock.calls[0]?.[0])).toContain(
      "owner credentials withheld from a realm not listed for the registry",
    );
  });

  it.each([
    ["the registry's own host", "https://ghcr.io/token", {}],
    [
      "a host UPSTREAMS lists in realmHosts",
      "https://auth.example.net/token",
      { UPSTREAMS: '{"ghcr": {"registry": "https://ghcr.io", "realmHosts": ["auth.example.net"]}}' },
    ],
  ])("%s gets them", async (_label, realm, vars) => {
    const fake = fakeUpstreams({
      "ghcr.io": (request, url) =>
        url.pathname === "/token" ? Response.json({ token: "owner" }) : registryNaming(realm)(request, url),
      "auth.example.net": () => Response.json({ token: "owner" }),
    });
    expect((await callWorker("https://ghcr.example.com/v2/o/i/tags/list", {}, { ...ghcrVars, ...vars })).status).toBe(
      200,
    );
    expect(withAuthorization(fake.sent, OWNER_BASIC)).toEqual([new URL(realm).host]);
  });
});

describe("DOCKERHUB_TOKEN belongs to Docker Hub, not to the route named docker", () => {
  const hubAccount = {
    DOCKERHUB_USERNAME: ACCOUNT.username,
    DOCKERHUB_TOKEN: ACCOUNT.password,
    SHARE_UPSTREAM_CREDENTIALS: "true",
  };
  const tokenRegistry = (host: string) => (request: Request, url: URL) =>
    url.pathname === "/token"
      ? Response.json({ token: "t" })
      : request.headers.has("authorization") && url.pathname !== "/v2/"
        ? new Response("manifest")
        : new Response(null, {
            status: 401,
            headers: { "www-authenticate": `Bearer realm="https://${host}/token",service="${host}"` },
          });

  it("a docker route repointed by UPSTREAMS never receives it; a route to Docker Hub under another name does", async () => {
    const fake = fakeUpstreams({
      "registry.example.net": tokenRegistry("registry.example.net"),
      "registry-1.docker.io": tokenRegistry("auth.docker.io"),
      "auth.docker.io": () => Response.json({ token: "hub" }),
    });
    const vars = {
      ...hubAccount,
      UPSTREAMS:
        '{"docker": {"registry": "https://registry.example.net"}, "hub": {"registry": "https://registry-1.docker.io", "realm": "https://auth.docker.io/token"}}',
    };
    // The docker route has no credentials now: its registry's challenge is the client's to answer.
    const repointed = await callWorker("https://example.com/v2/alpine/manifests/1", {}, vars);
    expect(repointed.status).toBe(401);
    expect(repointed.headers.get("www-authenticate")).toContain('realm="https://example.com/token"');
    expect((await callWorker("https://hub.example.com/v2/library/alpine/manifests/1", {}, vars)).status).toBe(200);
    expect(withAuthorization(fake.sent, OWNER_BASIC)).toEqual(["auth.docker.io"]);
  });
});

describe("a client's credentials go only to the realm of the registry the host names", () => {
  const ghcr = () =>
    fakeUpstreams({
      "ghcr.io": (_r, url) =>
        url.pathname === "/token"
          ? Response.json({ token: "g" })
          : new Response(null, {
              status: 401,
              headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' },
            }),
      "auth.docker.io": () => Response.json({ token: "hub" }),
    });

  it.each([
    [
      "a scope with ghcr's prefix on the bare host (skopeo, podman)",
      "https://example.com/token?service=registry.docker.io&scope=repository:ghcr.io/o/i:pull",
    ],
    [
      "ns=ghcr.io on the bare host (docker, containerd)",
      "https://example.com/token?ns=ghcr.io&service=ghcr.io&scope=repository:ghcr.io/o/i:pull",
    ],
    [
      "ns=ghcr.io on another subdomain",
      "https://quay.example.com/token?ns=ghcr.io&service=ghcr.io&scope=repository:o/i:pull",
    ],
  ])("%s: ghcr's realm is asked anonymously, with its own service and name", async (_label, url) => {
    const fake = ghcr();
    const response = await callWorker(url, { headers: { authorization: CLIENT_BASIC } });
    expect(await response.json()).toEqual({ token: "g" });
    expect(fake.sent.map((r) => `${r.headers.get("authorization")} ${r.url.href}`)).toEqual([
      "null https://ghcr.io/v2/",
      "null https://ghcr.io/token?service=ghcr.io&scope=repository%3Ao%2Fi%3Apull",
    ]);
  });

  it("an OAuth2 POST with a password for another registry becomes an anonymous GET, answered with access_token", async () => {
    const fake = ghcr();
    const response = await postTokenForm("https://example.com/token?ns=ghcr.io", {
      grant_type: "password",
      username: "client",
      password: "client-password",
      service: "ghcr.io",
      scope: "repository:o/i:pull",
    });
    expect(await response.json()).toEqual({ token: "g", access_token: "g" });
    expect(fake.to("ghcr.io").map((r) => `${r.method} ${r.url.pathname} ${r.body}`)).toEqual([
      "GET /v2/ ",
      "GET /token ",
    ]);
  });

  it("on ghcr's own subdomain the client's login goes to ghcr's realm; a registry request on a prefix route drops Basic", async () => {
    const fake = ghcr();
    await callWorker("https://ghcr.example.com/token?service=ghcr.io&scope=repository:o/i:pull", {
      headers: { authorization: CLIENT_BASIC },
    });
    await callWorker("https://example.com/v2/ghcr.io/o/i/tags/list", { headers: { authorization: CLIENT_BASIC } });
    expect(withAuthorization(fake.sent, CLIENT_BASIC)).toEqual(["ghcr.io"]);
    expect(fake.sent.at(-1)!.url.pathname).toBe("/v2/o/i/tags/list");
  });

  it("on a prefix route to a registry with owner credentials, the owner's token serves, and the client's token stays home", async () => {
    const fake = fakeUpstreams({
      "ghcr.io": (request, url) => {
        if (url.pathname === "/token")
          return request.headers.get("authorization") === OWNER_BASIC
            ? Response.json({ token: "owner" })
            : new Response(null, { status: 401 });
        if (request.headers.get("authorization") === "Bearer owner" && url.pathname !== "/v2/")
          return Response.json({ name: "o/i", tags: ["1"] });
        return new Response(null, {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' },
        });
      },
    });
    const vars = {
      UPSTREAM_CREDENTIALS: `{"ghcr.io": {"username": "${ACCOUNT.username}", "password": "${ACCOUNT.password}"}}`,
      ALLOWED_REPOSITORIES: '{"ghcr": ["o/**"], "docker": ["**"]}',
    };
    const response = await callWorker(
      "https://example.com/v2/ghcr.io/o/i/tags/list",
      { headers: { authorization: "Bearer hub-token-of-the-client" } },
      vars,
    );
    expect(response.status).toBe(200);
    expect(fake.sent.filter((r) => r.headers.get("authorization") === "Bearer hub-token-of-the-client")).toEqual([]);
  });

  it("scopes of two registries in one token request are a 400, and nothing goes upstream", async () => {
    const fake = ghcr();
    const response = await callWorker(
      "https://example.com/token?scope=repository:ghcr.io/o/i:pull&scope=repository:alpine:pull",
      { headers: { authorization: CLIENT_BASIC } },
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { message: string }[] }).errors[0]!.message).toBe(
      "one token request may name repositories of one registry only, not ghcr.io and docker.io",
    );
    expect(fake.sent).toEqual([]);
  });
});
