/**
 * The cache's view of the upstream (cache/context.ts `Origin`), bound to one request: the cache asks through it and
 * never touches the network itself. Every ask takes the one upstream path (credentials.ts, then fetch.ts).
 */
import type { Origin } from "../cache/context";
import { copyHeaders } from "../core/http";
import type { RoutedRequest } from "../routing/routed";
import { namesRepository } from "../routing/target";
import { fetchTarget, sendsCredentials } from "./credentials";
import { clientFor } from "./registry-client";
import { ANONYMOUS_REQUEST_HEADERS, upstreamUrl } from "./target-request";

/** The upstream of one routed request, for the cache. */
export function originFor(routed: RoutedRequest): Origin {
  const { target, config } = routed;
  return {
    fetch: (options = {}) => fetchTarget(routed, options),
    // With the anonymous token the registry's client holds (one per repository, shared by every probe of it);
    // redirects are followed as for any request: no token of ours crosses origins, a HEAD refused by storage is
    // asked again as GET (the cache reads no body), and a redirect target's challenge gets an anonymous token.
    fetchAnonymously: () =>
      clientFor(target.upstream).fetchAs(
        {
          method: "HEAD",
          url: upstreamUrl(routed.url, target),
          headers: copyHeaders(routed.request.headers, ANONYMOUS_REQUEST_HEADERS),
        },
        namesRepository(target) ? target.repository : undefined,
        "anonymous",
        config,
      ),
    sendsCredentials: () => sendsCredentials(routed),
  };
}
