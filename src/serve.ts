/**
 * Registry API requests, once routed and admitted: through the cache for blobs and manifests, straight to the
 * upstream for the rest, and shaped for the client by respond/. The cache is handed the upstream as an `Origin`, so
 * it never reaches the network itself.
 */
import { serveByDigest } from "./cache/by-digest";
import { serveByTag } from "./cache/by-tag";
import type { CacheRequest } from "./cache/context";
import { cacheOrigin } from "./cache/keys";
import { TieredStore } from "./cache/store";
import { upstreamFailure } from "./core/errors";
import { errorMessage, logEvent } from "./core/log";
import { answer, answerOffline, respond } from "./respond/registry";
import { isDigest } from "./routing/reference";
import type { RoutedRequest } from "./routing/routed";
import { fetchTarget } from "./upstream/credentials";
import { originFor } from "./upstream/origin";

/** Serves a registry request (`/v2/`, manifests, blobs, tags, referrers). */
export async function serveRegistry(routed: RoutedRequest, ctx: ExecutionContext): Promise<Response> {
  const { target } = routed;
  if (target.kind === "base") return serveBase(routed);
  if (!routed.config.cacheEnabled || (target.kind !== "manifest" && target.kind !== "blob"))
    return respond(routed, await fetchTarget(routed));
  const defer = (work: Promise<unknown>): void =>
    ctx.waitUntil(
      work.catch((error: unknown) => logEvent("warn", "background work failed", { error: errorMessage(error) })),
    );
  const cx: CacheRequest = {
    ...routed,
    target,
    origin: originFor(routed),
    defer,
    cache: new TieredStore(cacheOrigin(routed.config.mirrorHost), routed.config.blobs, defer),
  };
  routed.trace.cache = "MISS"; // the cache is asked from here on: an error past this point comes after a miss
  const answered =
    target.kind === "blob" || isDigest(target.reference) ? await serveByDigest(cx) : await serveByTag(cx);
  return answer(routed, answered);
}

/**
 * `/v2/`: the upstream's answer (its challenge tells clients where to get tokens). When the upstream is failing, the
 * mirror answers the version check itself, so clients go on to ask for what the cache holds instead of giving up.
 */
async function serveBase(routed: RoutedRequest): Promise<Response> {
  let upstream: Response;
  try {
    upstream = await fetchTarget(routed);
  } catch (error) {
    if (upstreamFailure(error) === undefined) throw error;
    return answerOffline(routed);
  }
  if (upstreamFailure(upstream) === undefined) return respond(routed, upstream);
  await upstream.body?.cancel();
  return answerOffline(routed);
}
