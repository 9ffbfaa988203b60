/**
 * The cache's view of the upstream (cache/context.ts `Origin`), bound to one request: the cache asks through it and
 * never touches the network itself.
 */
import type { Origin } from "../cache/context";
import { copyHeaders } from "../core/http";
import { isHostsRegistry } from "../routing/route";
import type { RoutedRequest } from "../routing/routed";
import { namesRepository } from "../routing/target";
import { clientFor } from "./client";
import { sendsCredentials } from "./client-access";
import { fetchTarget, upstreamHeaders, upstreamUrl } from "./target-request";

/** Request headers an anonymous probe keeps: which manifest types we accept matters, who we are does not. */
const PROBE_HEADERS = ["accept", "user-agent"];
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** What a blob store answers a HEAD on a URL presigned for GET. */
const HEAD_REFUSALS = new Set([400, 403, 405]);

/** The upstream of one routed request, for the cache. */
export function originFor(routed: RoutedRequest): Origin {
  return {
    fetch: (options = {}) => fetchTarget(routed, options),
    fetchAnonymously: async () => {
      const { target, config } = routed;
      const client = clientFor(target.upstream);
      const url = upstreamUrl(routed.url, target);
      const probe = (href: string) => ({
        method: "HEAD",
        url: href,
        headers: copyHeaders(routed.request.headers, PROBE_HEADERS),
      });
      // With the anonymous token the upstream's client holds (one per repository, shared by every probe of it).
      const first = await client.fetchAs(
        probe(url),
        namesRepository(target) ? target.repository : undefined,
        "anonymous",
        config,
        { returnRedirects: true },
      );
      const location = first.headers.get("location");
      if (!REDIRECTS.has(first.status) || location === null) return first;
      // A redirect is readable only if following it succeeds (a login page is not the object; the cache checks that).
      // The next hops get no token of ours: they are followed by hand, and a redirect target's challenge gets its own.
      await first.body?.cancel();
      const storage = new URL(location, url).href;
      const stored = await client.fetchDirect(probe(storage), config);
      if (!HEAD_REFUSALS.has(stored.status)) return stored;
      // Storage presigned for GET refuses HEAD (S3 and the like): ask with GET; the caller reads no body.
      await stored.body?.cancel();
      return client.fetchDirect({ ...probe(storage), method: "GET" }, config);
    },
    sendsCredentials: () =>
      sendsCredentials(
        upstreamHeaders(routed.request),
        routed.target,
        routed.config,
        isHostsRegistry(routed.url, routed.target, routed.config),
      ),
  };
}
