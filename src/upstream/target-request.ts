/**
 * A routed registry request as the upstream sees it: the upstream's URL for the target (its repository name, the
 * endpoint's own query) and the client's headers reduced to an allow-list. Whose credentials go with it is
 * credentials.ts's question.
 */
import { copyHeaders } from "../core/http";
import { ENDPOINT_QUERY } from "../routing/query";
import type { RoutedRequest } from "../routing/routed";
import type { Target } from "../routing/target";
import type { UpstreamRequest } from "./fetch";

/**
 * Request headers a request made anonymously on a client's behalf keeps (the cache's probe, a token request for a
 * registry the host does not name): which answer we accept matters, who the client is does not.
 */
export const ANONYMOUS_REQUEST_HEADERS = ["accept", "user-agent"];

/** Request headers an upstream may see. Anything else (cf-*, x-forwarded-*, cookies) stays here. */
const FORWARDED_REQUEST_HEADERS = [
  "user-agent",
  "accept",
  "accept-encoding",
  "range",
  "if-none-match",
  "authorization",
];

/**
 * The upstream request for a routed request: the target's URL and the client's allowed headers. `method` overrides
 * the client's (a HEAD to revalidate a GET); such a check wants the whole object's status, not a range or a 304.
 */
export function targetRequest(routed: RoutedRequest, method?: string): UpstreamRequest {
  const headers = upstreamHeaders(routed.request);
  if (method !== undefined) {
    headers.delete("range");
    headers.delete("if-none-match");
  }
  return { method: method ?? routed.request.method, url: upstreamUrl(routed.url, routed.target), headers };
}

/** The request headers the upstream sees for this request: the client's, reduced to the allow-list. */
export function upstreamHeaders(request: Request): Headers {
  return copyHeaders(request.headers, FORWARDED_REQUEST_HEADERS);
}

/** The upstream URL for a target: its registry, the upstream's repository name, the endpoint's own query. */
export function upstreamUrl(requestUrl: URL, target: Target): string {
  const url = new URL(`${target.upstream.registry}${upstreamPath(target)}`);
  for (const name of ENDPOINT_QUERY[target.kind] ?? []) {
    for (const value of requestUrl.searchParams.getAll(name)) url.searchParams.append(name, value);
  }
  return url.href;
}

function upstreamPath(target: Target): string {
  switch (target.kind) {
    case "manifest":
      return `/v2/${target.repository}/manifests/${target.reference}`;
    case "blob":
      return `/v2/${target.repository}/blobs/${target.reference}`;
    case "referrers":
      return `/v2/${target.repository}/referrers/${target.reference}`;
    case "tags":
      return `/v2/${target.repository}/tags/list`;
    default:
      return "/v2/";
  }
}
