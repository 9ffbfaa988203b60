/**
 * A routed registry request as the upstream sees it: the upstream's URL for the target (its repository name, the
 * endpoint's own query), the client's headers reduced to an allow-list, and the access rules that decide whose
 * credentials go with it.
 */
import { copyHeaders } from "../core/http";
import { ENDPOINT_QUERY } from "../routing/query";
import { isHostsRegistry } from "../routing/route";
import { type RoutedRequest, timed } from "../routing/routed";
import type { Target } from "../routing/target";
import { fetchForClient } from "./client-access";

/** Request headers an upstream may see. Anything else (cf-*, x-forwarded-*, cookies) stays here. */
const FORWARDED_REQUEST_HEADERS = [
  "user-agent",
  "accept",
  "accept-encoding",
  "range",
  "if-none-match",
  "authorization",
];

/** How a check on the client's behalf differs from the client's own request. */
export interface FetchTargetOptions {
  /** Overrides the client's method (a HEAD to revalidate a GET). */
  method?: string;
  /** Stops at a redirect: enough to know the upstream authorised the request. */
  returnRedirects?: boolean;
}

/**
 * Fetches the target from its upstream with the client's allowed headers. Its answer teaches nothing about realms:
 * the upstream's client learns those from the registry's own `/v2/` only.
 */
export async function fetchTarget(routed: RoutedRequest, options: FetchTargetOptions = {}): Promise<Response> {
  const headers = upstreamHeaders(routed.request);
  const method = options.method ?? routed.request.method;
  if (options.method !== undefined) {
    // A check on the client's behalf wants the whole object's status, not a range or a 304.
    headers.delete("range");
    headers.delete("if-none-match");
  }
  const limits = {
    idleTimeoutMs: routed.config.upstreamIdleTimeoutMs,
    ...(options.returnRedirects ? { returnRedirects: true } : {}),
  };
  const request = { method, url: upstreamUrl(routed.url, routed.target), headers };
  // Through the access rules: whose credentials go upstream (never a mirror token), 429 and the fallback mirror.
  const ownRoute = isHostsRegistry(routed.url, routed.target, routed.config);
  return timed(routed.trace, fetchForClient(request, routed.target, routed.config, ownRoute, limits));
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
