/**
 * Registry API requests (`/v2/`, manifests, blobs, tags, referrers): one upstream fetch, its body streamed through
 * untouched, its headers reduced to what a registry client needs and rewritten to point back at this Worker.
 */
import { formatChallenge, parseChallenge } from "./challenge";
import type { Config } from "./config";
import { tokenRealmFor, type Target } from "./route";
import { rememberRealm } from "./token";
import { fetchUpstream } from "./upstream";

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

/** Proxies a routed registry request to its upstream and shapes the answer for the client. */
export async function proxyRegistry(request: Request, target: Target, config: Config): Promise<Response> {
  const url = upstreamUrl(new URL(request.url), target);
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  const upstream = await fetchUpstream({ method: request.method, url, headers }, { timeoutMs: config.upstreamTimeoutMs, idleTimeoutMs: config.upstreamIdleTimeoutMs });
  if (request.method === "HEAD") await upstream.body?.cancel();
  return new Response(request.method === "HEAD" ? null : upstream.body, {
    status: upstream.status,
    headers: clientHeaders(upstream, target, new URL(request.url)),
  });
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
