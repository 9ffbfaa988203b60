/**
 * The cache's view of the upstream (cache/context.ts `Origin`), bound to one request: the cache asks through it and
 * never touches the network itself.
 */
import type { Origin } from "../cache/context";
import { copyHeaders } from "../core/http";
import type { RoutedRequest } from "../routing/routed";
import { workerAuthenticates } from "./client-access";
import { fetchAnonymously, fetchUpstream } from "./fetch";
import { fetchTarget, upstreamHeaders, upstreamUrl } from "./target-request";

/** Request headers an anonymous probe keeps: which manifest types we accept matters, who we are does not. */
const PROBE_HEADERS = ["accept", "user-agent"];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The upstream of one routed request, for the cache. */
export function originFor(routed: RoutedRequest): Origin {
  return {
    fetch: (options = {}) => fetchTarget(routed, options),
    fetchAnonymously: async () => {
      const limits = { timeoutMs: routed.config.upstreamTimeoutMs };
      const url = upstreamUrl(routed.url, routed.target);
      const first = await fetchAnonymously({ method: "HEAD", url, headers: copyHeaders(routed.request.headers, PROBE_HEADERS) }, limits);
      const location = first.headers.get("location");
      if (!REDIRECTS.has(first.status) || location === null) return first;
      // A redirect is readable only if following it succeeds (a login page is not the object; the cache checks that).
      // The next hops get no token: fetchUpstream follows them by hand and fetches a redirect target's own.
      await first.body?.cancel();
      return fetchUpstream({ method: "HEAD", url: new URL(location, url).href, headers: copyHeaders(routed.request.headers, PROBE_HEADERS) }, limits);
    },
    sendsCredentials: () => {
      const headers = upstreamHeaders(routed.request);
      return headers.has("authorization") || workerAuthenticates(headers, routed.target, routed.config);
    },
  };
}
