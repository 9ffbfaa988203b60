/**
 * Registry API requests (`/v2/`, manifests, blobs, tags, referrers): one upstream fetch, its body streamed through
 * untouched, its headers reduced to what a registry client needs and rewritten to point back at this Worker. Cached
 * answers get the same headers, so a client cannot tell a hit from a miss but by `X-Cache`.
 */
import type { CachedContent } from "./cache";
import { formatChallenge, parseChallenge } from "./challenge";
import { timed, type CacheStatus, type RequestContext } from "./context";
import { RegistryError } from "./errors";
import { tokenRealmFor, type Target } from "./route";
import { rememberRealm } from "./token";
import { fetchForClient } from "./upstream-access";

/** Request headers an upstream may see. Anything else (cf-*, x-forwarded-*, cookies) stays here. */
const FORWARDED_REQUEST_HEADERS = ["user-agent", "accept", "accept-encoding", "range", "if-none-match", "authorization"];
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
/** Query parameters each endpoint defines; everything else (`ns`, cache busters) is not the upstream's business. */
const FORWARDED_QUERY: Partial<Record<Target["kind"], string[]>> = { tags: ["n", "last"], referrers: ["artifactType"] };
/** RFC 7234 section 5.5.2: the warning a cache adds when it serves a stale response because revalidation failed. */
const REVALIDATION_FAILED = '111 - "Revalidation Failed"';

/** Proxies a routed registry request to its upstream and shapes the answer for the client. */
export async function proxyRegistry(cx: RequestContext): Promise<Response> {
  return respond(cx, await fetchTarget(cx), "MISS");
}

/**
 * Fetches the target from its upstream with the client's allowed headers; `method` overrides the client's (a HEAD to
 * revalidate a GET), `returnRedirects` stops at a redirect (enough to know the upstream authorised the request).
 */
export function fetchTarget(cx: RequestContext, options: { method?: string; returnRedirects?: boolean } = {}): Promise<Response> {
  const headers = upstreamHeaders(cx);
  const method = options.method ?? cx.request.method;
  if (options.method !== undefined) {
    // A check on the client's behalf wants the whole object's status, not a range or a 304.
    headers.delete("range");
    headers.delete("if-none-match");
  }
  const limits = { idleTimeoutMs: cx.config.upstreamIdleTimeoutMs, ...(options.returnRedirects ? { returnRedirects: true } : {}) };
  // Through the access rules: whose credentials go upstream (never a mirror token), 429 and the fallback mirror.
  return timed(cx.trace, fetchForClient({ method, url: upstreamUrl(cx.url, cx.target), headers }, cx.target, cx.config, limits));
}

/** The request headers the upstream sees for this request: the client's, reduced to the allow-list. */
export function upstreamHeaders(cx: RequestContext): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = cx.request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/** The client's response to an upstream answer: allowed headers, rewritten realm and links, and `X-Cache`. */
export function respond(cx: RequestContext, upstream: Response, status: CacheStatus): Response {
  cx.trace.cache = status;
  const headers = clientHeaders(upstream, cx.target, cx.url);
  headers.set("x-cache", status);
  if (cx.request.method === "HEAD") void upstream.body?.cancel(); // a HEAD refused by blob storage was asked as GET
  return new Response(cx.request.method === "HEAD" ? null : upstream.body, { status: upstream.status, headers });
}

/** The client's response from cached bytes: the headers a registry sends for content by digest, and `X-Cache`. */
export function respondCached(cx: RequestContext, content: CachedContent, digest: string, status: CacheStatus): Response {
  cx.trace.cache = status;
  const headers = new Headers({ "docker-distribution-api-version": "registry/2.0" });
  for (const [name, value] of content.headers) headers.set(name, value);
  headers.set("docker-content-digest", digest);
  headers.set("etag", `"${digest}"`);
  if (cx.target.kind === "blob") headers.set("accept-ranges", "bytes");
  headers.set("x-cache", status);
  if (status === "STALE") headers.set("warning", REVALIDATION_FAILED);
  return new Response(cx.request.method === "HEAD" ? null : content.body, { status: content.status, headers });
}

/** The OCI error for an upstream 401 whose body we did not fetch (it answered a HEAD): its challenge, pointed here. */
export function challengeError(cx: RequestContext, upstream: Response): RegistryError {
  const challenge = rewriteChallenge(upstream.headers.get("www-authenticate")!, cx.target, cx.url);
  return new RegistryError("UNAUTHORIZED", "authentication required", { headers: { "www-authenticate": challenge } });
}

/**
 * Why an upstream answer or error means "the upstream is failing" (5xx, 429, unreachable, timed out), which is when a
 * cached copy may stand in for it; undefined when the upstream answered for itself (2xx-4xx).
 */
export function upstreamFailure(outcome: Response | unknown): string | undefined {
  if (outcome instanceof Response) return outcome.status >= 500 || outcome.status === 429 ? `upstream answered ${outcome.status}` : undefined;
  // Unreachable or timed out, or a 429 that the access layer already turned into TOOMANYREQUESTS (no fallback helped).
  if (outcome instanceof RegistryError && (outcome.code === "UNAVAILABLE" || outcome.code === "TOOMANYREQUESTS")) return outcome.message;
  return undefined;
}

/**
 * `/v2/`: the upstream's answer (its challenge tells clients where to get tokens). When the upstream is failing, the
 * mirror answers the version check itself, so clients go on to ask for what the cache holds instead of giving up.
 */
export async function proxyBase(cx: RequestContext): Promise<Response> {
  let upstream: Response;
  try {
    upstream = await fetchTarget(cx);
  } catch (error) {
    if (upstreamFailure(error) === undefined) throw error;
    return offlineBase(cx);
  }
  if (upstreamFailure(upstream) === undefined) return respond(cx, upstream, "MISS");
  await upstream.body?.cancel();
  return offlineBase(cx);
}

function offlineBase(cx: RequestContext): Response {
  cx.trace.cache = "STALE";
  const body = "{}";
  const headers = new Headers({
    "content-type": "application/json",
    "content-length": String(body.length),
    "docker-distribution-api-version": "registry/2.0",
    "x-cache": "STALE",
    warning: REVALIDATION_FAILED,
  });
  return new Response(cx.request.method === "HEAD" ? null : body, { headers });
}

/** The upstream URL for a target: its registry, the upstream's repository name, the endpoint's own query. */
export function upstreamUrl(requestUrl: URL, target: Target): string {
  const url = new URL(`${target.upstream.registry}${upstreamPath(target)}`);
  for (const name of FORWARDED_QUERY[target.kind] ?? []) {
    for (const value of requestUrl.searchParams.getAll(name)) url.searchParams.append(name, value);
  }
  return url.href;
}

function upstreamPath(target: Target): string {
  const base = `/v2/${target.repository}`;
  switch (target.kind) {
    case "manifest":
      return `${base}/manifests/${target.reference}`;
    case "blob":
      return `${base}/blobs/${target.reference}`;
    case "referrers":
      return `${base}/referrers/${target.reference}`;
    case "tags":
      return `${base}/tags/list`;
    default:
      return "/v2/";
  }
}

/** The headers the client sees: an allow-list, with the challenge realm and pagination links pointed back here. */
function clientHeaders(upstream: Response, target: Target, requestUrl: URL): Headers {
  const headers = new Headers({ "docker-distribution-api-version": "registry/2.0" });
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // The runtime decodes a compressed body for us, so the upstream's length would describe other bytes.
  if (upstream.headers.has("content-encoding")) headers.delete("content-length");
  if (target.kind === "blob" && upstream.ok && !headers.has("docker-content-digest")) {
    headers.set("docker-content-digest", target.reference!); // CDNs behind a redirect do not send it
  }
  const challenge = upstream.headers.get("www-authenticate");
  if (challenge !== null) headers.set("www-authenticate", rewriteChallenge(challenge, target, requestUrl));
  const link = upstream.headers.get("link");
  if (link !== null) headers.set("link", rewriteLink(link, target, requestUrl));
  return headers;
}

/** Points a Bearer challenge's realm at this Worker's `/token`, keeping service and scope as the upstream set them. */
export function rewriteChallenge(header: string, target: Target, requestUrl: URL): string {
  const challenge = parseChallenge(header);
  if (challenge?.scheme !== "bearer" || !challenge.params.realm) return header;
  rememberRealm(target.upstream, challenge.params.realm);
  return formatChallenge({ ...challenge, params: { ...challenge.params, realm: tokenRealmFor(requestUrl, target) } });
}

/**
 * Rewrites a pagination Link (`</v2/library/alpine/tags/list?last=x>; rel="next"`) into the client's view of the
 * repository, so following it comes back through this Worker on the same route.
 */
export function rewriteLink(header: string, target: Target, requestUrl: URL): string {
  return header.replace(/<([^>]*)>/g, (whole, uri: string) => {
    let url: URL;
    try {
      url = new URL(uri, target.upstream.registry);
    } catch {
      return whole;
    }
    const upstreamPrefix = `/v2/${target.repository}/`;
    if (url.origin !== new URL(target.upstream.registry).origin || !url.pathname.startsWith(upstreamPrefix)) return whole;
    const local = new URL(`/v2/${target.clientRepository}/${url.pathname.slice(upstreamPrefix.length)}${url.search}`, requestUrl.origin);
    if (target.via === "ns") local.searchParams.set("ns", target.upstream.hosts[0]!);
    return `<${local.pathname}${local.search}>`;
  });
}
