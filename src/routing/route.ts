/**
 * Request -> Target: which upstream, which repository, which object. Pure; every rejection happens here, before any
 * upstream request. Routing order: containerd's `?ns=`, then a registry host as the first name component
 * (`/v2/ghcr.io/owner/img/...`), then the first DNS label of the hostname (`ghcr.example.com`), then Docker Hub.
 */
import type { Config } from "../config/config";
import { canonicalHost, normalizeRepository, registryIdentity, type Upstream } from "../config/registries";
import { RegistryError } from "../core/errors";
import { before } from "../core/parse";
import { assertEndpointQuery } from "./query";
import {
  assertDigest,
  assertManifestReference,
  assertRepository,
  splitRegistryPrefix,
  startsWithOwnHost,
} from "./reference";
import type { ObjectTarget, RouteVia, Target } from "./target";

/** Characters that can appear in a valid registry path; anything else (`%`, `\`) is an encoding trick or garbage. */
const SAFE_PATH = /^[A-Za-z0-9._\-/:+=]*$/;
const OBJECT_PATH = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/;
const TAGS_PATH = /^\/v2\/(.+)\/tags\/list$/;
const UPLOAD_PATH = /^\/v2\/(.+)\/blobs\/uploads(?:\/.*)?$/;
const OBJECT_KIND = { manifests: "manifest", blobs: "blob", referrers: "referrers" } as const;

/**
 * The request's URL, or 400 when its Host is no host name (`a@b`, `[::1`, a port past 65535): nothing can be routed on
 * it, and the runtime may not even be able to spell it.
 */
export function parseClientUrl(request: Request): URL {
  let url: URL | undefined;
  let authority = "";
  try {
    const raw = request.url;
    authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(raw)?.[1] ?? "";
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // Userinfo, even empty (`@host`), is no part of a Host header.
  if (!url || authority.includes("@") || url.hostname === "") {
    throw new RegistryError("UNSUPPORTED", "malformed Host header", { status: 400 });
  }
  return url;
}

/** Routes a request or throws the OCI error the client should see. */
export function routeRequest(method: string, url: URL, config: Config): Target {
  const { upstream, via } = selectUpstream(url, config);
  const path = url.pathname;
  if (path === "/token") {
    assertMethod(method, ["GET", "HEAD", "POST"]);
    return { kind: "token", upstream, via };
  }
  if (path === "/v1" || path.startsWith("/v1/")) return routeV1(method, path, upstream, via);
  // Anything outside the registry APIs is for browsers; what they see is HOME_PAGE's business (pages/home.ts).
  if (path !== "/v2" && !path.startsWith("/v2/")) return { kind: "page", upstream, via };
  assertMethod(method, ["GET", "HEAD"]);
  if (path === "/v2" || path === "/v2/") return { kind: "base", upstream, via };
  if (!SAFE_PATH.test(path) || path.includes("..") || path.includes("//")) {
    throw new RegistryError("NAME_INVALID", "invalid characters in path", { status: 400 });
  }
  if (UPLOAD_PATH.test(path)) throw new RegistryError("UNSUPPORTED", "this mirror is pull-only");
  const target = routeRepositoryPath(path, upstream, via, config);
  assertEndpointQuery(target.kind, url.searchParams);
  return target;
}

/** The two v1 endpoints `docker search` calls; the rest of the v1 API is long gone from Docker Hub. */
function routeV1(method: string, path: string, upstream: Upstream, via: RouteVia): Target {
  const kind = path === "/v1/search" ? "search" : path === "/v1/_ping" ? "ping" : undefined;
  if (!kind)
    throw new RegistryError("NAME_UNKNOWN", "no such endpoint on this mirror", { status: 404, detail: { path } });
  assertMethod(method, ["GET", "HEAD"]);
  return { kind, upstream, via };
}

function routeRepositoryPath(path: string, upstream: Upstream, via: RouteVia, config: Config): Target {
  const tags = TAGS_PATH.exec(path);
  const object = OBJECT_PATH.exec(path);
  const name = tags?.[1] ?? object?.[1];
  if (name === undefined)
    throw new RegistryError("NAME_UNKNOWN", "no such endpoint on this mirror", { status: 404, detail: { path } });
  const named = resolveName(name, upstream, via, config);
  if (tags || !object) return { kind: "tags", ...named };
  const [, , endpoint, reference] = object as unknown as [string, string, keyof typeof OBJECT_KIND, string];
  const kind = OBJECT_KIND[endpoint];
  if (kind === "manifest") assertManifestReference(reference);
  else assertDigest(reference);
  const target: ObjectTarget = { kind, reference, ...named };
  return target;
}

/** A name from the path, resolved: which upstream, and the repository as the upstream and the client name it. */
export interface ResolvedName {
  upstream: Upstream;
  via: RouteVia;
  repository: string;
  clientRepository: string;
}

/** Applies the path-prefix route and Docker Hub's `library/` rule to a name from the path (or a token scope). */
export function resolveName(name: string, upstream: Upstream, via: RouteVia, config: Config): ResolvedName {
  let routed = { upstream, via, rest: name };
  if (via !== "ns") {
    const prefixed = splitRegistryPrefix(name, config.upstreamsByHost);
    if (prefixed) routed = { upstream: prefixed.upstream, via: "prefix", rest: prefixed.rest };
    else if (upstream.officialNamespace) assertNoUnknownRegistry(name);
  }
  // The upstream never names a repository after itself; `docker.io/docker.io/x` would get a token for another name.
  if (startsWithOwnHost(routed.rest, routed.upstream)) {
    throw new RegistryError("NAME_INVALID", "repository name repeats the registry host", { detail: { name } });
  }
  assertRepository(routed.rest);
  return {
    upstream: routed.upstream,
    via: routed.via,
    clientRepository: name,
    repository: normalizeRepository(routed.upstream, routed.rest),
  };
}

/** Docker Hub namespaces never contain a dot, so `/v2/evil.example/x/...` names a registry we do not serve. */
function assertNoUnknownRegistry(name: string): void {
  const first = name.split("/", 1)[0] ?? "";
  if (name.includes("/") && first.includes(".")) {
    throw new RegistryError("NAME_UNKNOWN", `registry ${first} is not served by this mirror`, {
      detail: { registry: first },
    });
  }
}

function selectUpstream(url: URL, config: Config): { upstream: Upstream; via: RouteVia } {
  const ns = url.searchParams.get("ns");
  if (ns !== null) {
    const upstream = config.upstreamsByHost.get(ns.toLowerCase());
    if (!upstream)
      throw new RegistryError("NAME_UNKNOWN", `registry ${ns} is not served by this mirror`, { detail: { ns } });
    return { upstream, via: "ns" };
  }
  return routeByHost(url, config);
}

/**
 * The route the request's host names: the subdomain's (`ghcr.example.com`), else Docker Hub's (the bare host). A
 * client's own credentials are for this route's registry only: `docker login ghcr.example.com` is a GHCR login.
 * MIRROR_HOST itself is the bare host whatever its first label: a mirror at `ghcr.corp.example` mirrors Docker Hub.
 */
export function routeByHost(url: URL, config: Config): { upstream: Upstream; via: "subdomain" | "default" } {
  const hostname = url.hostname.toLowerCase().replace(/\.$/, "");
  const upstream = hostname === config.mirrorHost ? undefined : config.upstreams.get(before(hostname, "."));
  return upstream ? { upstream, via: "subdomain" } : { upstream: config.defaultUpstream, via: "default" };
}

/** Whether the client's own credentials may go with this target: its registry is the one the host names. */
export function isHostsRegistry(url: URL, target: Target, config: Config): boolean {
  return registryIdentity(target.upstream) === registryIdentity(routeByHost(url, config).upstream);
}

function assertMethod(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new RegistryError("UNSUPPORTED", `${method} is not supported: this mirror is pull-only`, {
      headers: { Allow: allowed.join(", ") },
    });
  }
}

/**
 * The token endpoint URL handed to clients in rewritten challenges. Clients call a realm exactly as given (containerd
 * does not repeat `?ns=`), so a route chosen by `ns` or path prefix travels in the realm's own query.
 */
export function tokenRealmFor(requestUrl: URL, target: Target): string {
  const realm = new URL("/token", requestUrl.origin);
  if (target.via === "ns" || target.via === "prefix") realm.searchParams.set("ns", canonicalHost(target.upstream));
  return realm.href;
}
