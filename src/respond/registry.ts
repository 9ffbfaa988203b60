/**
 * What a registry client sees: an upstream answer's status and body untouched, its headers reduced to what a
 * registry client needs and rewritten to point back at this Worker; cached bytes with the headers a registry sends
 * for content by digest. A client cannot tell a hit from a miss but by `X-Cache`.
 */

import type { CachedContent } from "../cache/content";
import type { Answer } from "../cache/context";
import { canonicalHost } from "../config/registries";
import { RegistryError } from "../core/errors";
import { bodyFor } from "../core/http";
import type { CacheStatus, RoutedRequest } from "../routing/routed";
import { namesRepository, type Target } from "../routing/target";
import { passHeaders, pointRealmHere, registryHeaders } from "./headers";

/** Response headers a client may see, besides the ones rewritten below. */
const FORWARDED_RESPONSE_HEADERS = [
  "content-type",
  "content-length",
  "content-range",
  "accept-ranges",
  "docker-content-digest",
  "etag",
  "last-modified",
  "retry-after",
  "ratelimit-limit",
  "ratelimit-remaining",
  "docker-ratelimit-source",
  "oci-subject",
  "oci-filters-applied",
];
/** RFC 7234 section 5.5.2: the warning a cache adds when it serves a stale response because revalidation failed. */
const REVALIDATION_FAILED = '111 - "Revalidation Failed"';

/** The client's response to what the cache step answered. */
export function answer(routed: RoutedRequest, answered: Answer): Response {
  switch (answered.source) {
    case "upstream":
      return respond(routed, answered.response, answered.status);
    case "cache":
      return respondCached(routed, answered.content, answered.digest, answered.status);
    case "challenge":
      throw challengeError(routed, answered.response);
  }
}

/**
 * The client's response to an upstream answer: allowed headers, rewritten realm and links, and and what the cache did
 * (`status`, which the response's `X-Cache` tells).
 */
export function respond(routed: RoutedRequest, upstream: Response, status?: CacheStatus): Response {
  const headers = clientHeaders(upstream, routed.target, routed.url);
  if (status !== undefined) routed.trace.cache = status;
  if (routed.request.method === "HEAD") void upstream.body?.cancel(); // a HEAD refused by blob storage was asked as GET
  return new Response(bodyFor(routed.request.method, upstream.body), { status: upstream.status, headers });
}

/** The client's response from cached bytes: the headers a registry sends for content by digest, and `X-Cache`. */
function respondCached(routed: RoutedRequest, content: CachedContent, digest: string, status: CacheStatus): Response {
  routed.trace.cache = status;
  const headers = registryHeaders();
  for (const [name, value] of content.headers) headers.set(name, value);
  headers.set("docker-content-digest", digest);
  headers.set("etag", `"${digest}"`);
  if (routed.target.kind === "blob") headers.set("accept-ranges", "bytes");
  if (status === "STALE") headers.set("warning", REVALIDATION_FAILED);
  return new Response(bodyFor(routed.request.method, content.body), { status: content.status, headers });
}

/** The OCI error for an upstream 401 whose body we did not fetch (it answered a HEAD): its challenge, pointed here. */
function challengeError(routed: RoutedRequest, upstream: Response): RegistryError {
  const challenge = pointRealmHere(upstream.headers.get("www-authenticate") ?? "", routed.url, routed.target, true);
  return new RegistryError("UNAUTHORIZED", "authentication required", { headers: { "www-authenticate": challenge } });
}

/**
 * `/v2/` when the upstream is failing: the mirror answers the version check itself, so clients go on to ask for what
 * the cache holds instead of giving up.
 */
export function answerOffline(routed: RoutedRequest): Response {
  routed.trace.cache = "STALE";
  const body = "{}";
  const headers = registryHeaders({
    "content-type": "application/json",
    "content-length": String(body.length),
    warning: REVALIDATION_FAILED,
  });
  return new Response(bodyFor(routed.request.method, body), { headers });
}

/** The headers the client sees: an allow-list, with the challenge realm and pagination links pointed back here. */
function clientHeaders(upstream: Response, target: Target, requestUrl: URL): Headers {
  const headers = passHeaders(upstream, FORWARDED_RESPONSE_HEADERS, registryHeaders());
  if (target.kind === "blob" && upstream.ok && !headers.has("docker-content-digest")) {
    headers.set("docker-content-digest", target.reference); // CDNs behind a redirect do not send it
  }
  const challenge = upstream.headers.get("www-authenticate");
  if (challenge !== null) headers.set("www-authenticate", pointRealmHere(challenge, requestUrl, target, true));
  const link = upstream.headers.get("link");
  if (link !== null) headers.set("link", rewriteLink(link, target, requestUrl));
  return headers;
}

/**
 * Rewrites a pagination Link (`</v2/library/alpine/tags/list?last=x>; rel="next"`) into the client's view of the
 * repository, so following it comes back through this Worker on the same route.
 */
export function rewriteLink(header: string, target: Target, requestUrl: URL): string {
  if (!namesRepository(target)) return header;
  return header.replace(/<([^>]*)>/g, (whole, uri: string) => {
    let url: URL;
    try {
      url = new URL(uri, target.upstream.registry);
    } catch {
      return whole;
    }
    const upstreamPrefix = `/v2/${target.repository}/`;
    if (url.origin !== new URL(target.upstream.registry).origin || !url.pathname.startsWith(upstreamPrefix))
      return whole;
    const local = new URL(
      `/v2/${target.clientRepository}/${url.pathname.slice(upstreamPrefix.length)}${url.search}`,
      requestUrl.origin,
    );
    if (target.via === "ns") local.searchParams.set("ns", canonicalHost(target.upstream));
    return `<${local.pathname}${local.search}>`;
  });
}
