/**
 * The cache's view of the upstream (cache/context.ts `Origin`), bound to one request: the cache asks through it and
 * never touches the network itself.
 */
import type { Origin } from "../cache/context";
import { copyHeaders } from "../core/http";
import type { RoutedRequest } from "../routing/routed";
import { workerAuthenticates } from "./client-access";
import { fetchAnonymously } from "./fetch";
import { fetchTarget, upstreamHeaders, upstreamUrl } from "./target-request";

/** Request headers an anonymous probe keeps: which manifest types we accept matters, who we are does not. */
const PROBE_HEADERS = ["accept", "user-agent"];

/** The upstream of one routed request, for the cache. */
export function originFor(routed: RoutedRequest): Origin {
  return {
    fetch: (options = {}) => fetchTarget(routed, options),
    fetchAnonymously: () => {
      const request = { method: "HEAD", url: upstreamUrl(routed.url, routed.target), headers: copyHeaders(routed.request.headers, PROBE_HEADERS) };
      return fetchAnonymously(request, { timeoutMs: routed.config.upstreamTimeoutMs });
    },
    sendsCredentials: () => {
      const headers = upstreamHeaders(routed.request);
      return headers.has("authorization") || workerAuthenticates(headers, routed.target, routed.config);
    },
  };
}
