/**
 * The cache's view of the upstream (cache/context.ts `Origin`), bound to one request: the cache asks through it and
 * never touches the network itself.
 */
import type { Origin } from "../cache/context";
import { copyHeaders } from "../core/http";
import type { RoutedRequest } from "../routing/routed";
import { isHostsRegistry } from "../routing/route";
import { namesRepository } from "../routing/target";
import { clientFor } from "./client";
import { sendsCredentials } from "./client-access";
import { fetchTarget, upstreamHeaders, upstreamUrl } from "./target-request";

/** Request headers an anonymous probe keeps: which manifest types we accept matters, who we are does not. */
const PROBE_HEADERS = ["accept", "user-agent"];

/** The upstream of one routed request, for the cache. */
export function originFor(routed: RoutedRequest): Origin {
  return {
    fetch: (options = {}) => fetchTarget(routed, options),
    fetchAnonymously: () => {
      const { target, config } = routed;
      const request = { method: "HEAD", url: upstreamUrl(routed.url, target), headers: copyHeaders(routed.request.headers, PROBE_HEADERS) };
      // With the anonymous token the upstream's client holds (one per repository, shared by every probe of it).
      return clientFor(target.upstream).fetchAs(request, namesRepository(target) ? target.repository : undefined, "anonymous", config, { returnRedirects: true });
    },
    sendsCredentials: () => sendsCredentials(upstreamHeaders(routed.request), routed.target, routed.config, isHostsRegistry(routed.url, routed.target, routed.config)),
  };
}
