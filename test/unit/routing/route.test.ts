import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import type { RegistryError } from "../../../src/core/errors";
import { routeRequest, tokenRealmFor } from "../../../src/routing/route";
import type { Target } from "../../../src/routing/target";

const config = parseConfig({});
const digest = `sha256:${"0".repeat(64)}`;

function route(url: string, method = "GET"): Target {
  return routeRequest(method, new URL(url), config);
}

function failure(url: string, method = "GET"): { code: string; status: number } {
  try {
    route(url, method);
  } catch (error) {
    const e = error as RegistryError;
    return { code: e.code, status: e.status };
  }
  throw new Error(`expected ${url} to be refused`);
}

describe("routing by subdomain", () => {
  it.each([
    ["docker", "registry-1.docker.io"],
    ["quay", "quay.io"],
    ["gcr", "gcr.io"],
    ["k8s-gcr", "k8s.gcr.io"],
    ["k8s", "registry.k8s.io"],
    ["ghcr", "ghcr.io"],
    ["cloudsmith", "docker.cloudsmith.io"],
    ["nvcr", "nvcr.io"],
    ["mcr", "mcr.microsoft.com"],
    ["elastic", "docker.elastic.co"],
    ["ecr", "public.ecr.aws"],
  ])("%s.example.com -> %s", (label, host) => {
    const target = route(`https://${label}.example.com/v2/some/image/manifests/latest`);
    expect(new URL(target.upstream.registry).host).toBe(host);
    expect(target.via).toBe("subdomain");
  });

  it.each([
    "https://example.com",
    "http://localhost:8787",
    "https://hub.example.com",
    "http://127.0.0.1:8787",
    "https://DOCKER.example.com",
  ])("%s goes to Docker Hub", (origin) => {
    expect(route(`${origin}/v2/`).upstream.name).toBe("docker");
  });

  it("GET /v2/alpine/manifests/latest on docker. adds library/", () => {
    expect(route("https://docker.example.com/v2/alpine/manifests/latest")).toMatchObject({
      kind: "manifest",
      repository: "library/alpine",
      clientRepository: "alpine",
      reference: "latest",
    });
  });

  it("keeps a registry-looking first component on a non-Hub route (gcr's domain-scoped projects)", () => {
    expect(route("https://gcr.example.com/v2/example.com/project/img/manifests/1")).toMatchObject({
      repository: "example.com/project/img",
    });
  });
});

describe("routing by path prefix", () => {
  it("GET /v2/ghcr.io/owner/img/manifests/1 goes to ghcr.io owner/img", () => {
    expect(route("https://example.com/v2/ghcr.io/owner/img/manifests/1")).toMatchObject({
      via: "prefix",
      repository: "owner/img",
      clientRepository: "ghcr.io/owner/img",
    });
  });
  it("docker.io/nginx gets library/ and the prefix wins over the subdomain", () => {
    const target = route(`https://quay.example.com/v2/docker.io/nginx/blobs/${digest}`);
    expect(target).toMatchObject({ kind: "blob", repository: "library/nginx", reference: digest });
    expect(target.upstream.name).toBe("docker");
  });
  it("an unknown registry prefix on the Docker Hub route is a 404, not a fetch", () => {
    expect(failure("https://example.com/v2/evil.example/x/manifests/latest")).toEqual({
      code: "NAME_UNKNOWN",
      status: 404,
    });
  });
});

describe("routing by ?ns=", () => {
  it("containerd's ns picks the upstream and the name is taken as sent", () => {
    const target = route("https://mirror.example.com/v2/library/alpine/manifests/latest?ns=docker.io");
    expect(target).toMatchObject({ via: "ns", repository: "library/alpine" });
    expect(route("https://mirror.example.com/v2/owner/img/manifests/1?ns=ghcr.io").upstream.name).toBe("ghcr");
  });
  it("under ns, a dotted first component is part of the name", () => {
    expect(route("https://m.example.com/v2/example.com/p/img/tags/list?ns=gcr.io")).toMatchObject({
      repository: "example.com/p/img",
    });
  });
  it("an unknown ns is a 404", () => {
    expect(failure("https://m.example.com/v2/a/manifests/latest?ns=evil.example")).toEqual({
      code: "NAME_UNKNOWN",
      status: 404,
    });
  });
});

describe("endpoints", () => {
  it.each([
    ["/v2/", "base"],
    ["/v2", "base"],
    ["/", "page"],
    ["/token", "token"],
    ["/v1/search", "search"],
    ["/v1/_ping", "ping"],
    // Every path outside the registry APIs is a browser's; HOME_PAGE decides what it sees.
    ["/favicon.ico", "page"],
    ["/index.html", "page"],
    // The URL parser resolves dot segments before we see the path, so these leave /v2/ altogether.
    ["/v2/a/%2e%2e/%2e%2e/manifests/latest", "page"],
    ["/v2/a\\..\\..\\x/manifests/latest", "page"],
    ["/v2/a/b/tags/list", "tags"],
    [`/v2/a/referrers/${digest}`, "referrers"],
    [`/v2/a/blobs/${digest}`, "blob"],
    [`/v2/a/manifests/${digest}`, "manifest"],
    ["/v2/blobs/manifests/latest", "manifest"],
    ["/v2/manifests/tags/list", "tags"],
  ])("%s is %s", (path, kind) => {
    expect(route(`https://example.com${path}`).kind).toBe(kind);
  });

  it.each([
    ["/v2/Alpine/manifests/latest", "NAME_INVALID", 400],
    ["/v2/alpine/manifests/-bad", "TAG_INVALID", 400],
    ["/v2/alpine/manifests/sha256:123", "DIGEST_INVALID", 400],
    ["/v2/alpine/blobs/latest", "DIGEST_INVALID", 400],
    ["/v2/alpine/referrers/latest", "DIGEST_INVALID", 400],
    ["/v2/a%2fb/manifests/latest", "NAME_INVALID", 400],
    ["/v2/a%252e%252e/manifests/latest", "NAME_INVALID", 400],
    ["/v2/a|b/manifests/latest", "NAME_INVALID", 400],
    ["/v2/a//b/manifests/latest", "NAME_INVALID", 400],
    ["/v2/alpine/manifests", "NAME_UNKNOWN", 404],
    ["/v2/_catalog", "NAME_UNKNOWN", 404],
    ["/v1/repositories/library/alpine/images", "NAME_UNKNOWN", 404],
    ["/v1", "NAME_UNKNOWN", 404],
    ["/v2/alpine/blobs/uploads/", "UNSUPPORTED", 405],
    // A repeated registry prefix: the token scope for it would name another repository.
    ["/v2/docker.io/docker.io/x/manifests/latest", "NAME_INVALID", 400],
    ["/v2/quay.io/quay.io/x/manifests/latest", "NAME_INVALID", 400],
    ["/v2/docker.io/x/manifests/latest?ns=docker.io", "NAME_INVALID", 400],
  ])("%s is refused with %s", (path, code, status) => {
    expect(failure(`https://example.com${path}`)).toEqual({ code, status });
  });

  it.each(["PUT", "POST", "PATCH", "DELETE"])("%s under /v2/ is 405 UNSUPPORTED", (method) => {
    expect(failure("https://example.com/v2/alpine/manifests/latest", method)).toEqual({
      code: "UNSUPPORTED",
      status: 405,
    });
  });
  it.each(["/v1/search", "/v1/_ping"])("POST %s is 405 UNSUPPORTED", (path) => {
    expect(failure(`https://example.com${path}`, "POST")).toEqual({ code: "UNSUPPORTED", status: 405 });
  });
  it("POST /token is allowed (the OAuth2 form)", () => {
    expect(route("https://example.com/token", "POST").kind).toBe("token");
  });
});

describe("tokenRealmFor", () => {
  it.each([
    ["https://docker.example.com/v2/", "https://docker.example.com/token"],
    ["https://example.com/v2/", "https://example.com/token"],
    ["https://example.com/v2/ghcr.io/o/i/tags/list", "https://example.com/token?ns=ghcr.io"],
    ["https://example.com/v2/library/alpine/tags/list?ns=docker.io", "https://example.com/token?ns=docker.io"],
    ["http://127.0.0.1:8787/v2/quay.io/o/i/tags/list", "http://127.0.0.1:8787/token?ns=quay.io"],
  ])("%s -> %s", (url, realm) => {
    expect(tokenRealmFor(new URL(url), route(url))).toBe(realm);
  });
  it("the realm routes back to the same upstream", () => {
    const url = "https://example.com/v2/ghcr.io/o/i/tags/list";
    const realm = tokenRealmFor(new URL(url), route(url));
    expect(route(realm).upstream.name).toBe("ghcr");
  });
});
