/**
 * What a fallback (UPSTREAM_FALLBACKS) may answer for a digest. A fallback is another registry: its answer is
 * accepted only if it is the digest asked for. A Docker-Content-Digest naming another is refused (502) before the
 * client sees a byte; a manifest (small, bounded) is read whole and hashed first; a blob's bytes are checked by the
 * fill (by-digest.ts storesFallbackFill) and by the client, which verifies what it asked for by digest.
 */
import { upstreamError } from "../core/errors";
import { errorMessage, logEvent } from "../core/log";
import type { Answer, CacheRequest } from "./context";
import { type Landing, settleWith } from "./flight";
import { DigestMismatch, readVerified } from "./verify";

/** Refuses (502) a fallback's answer whose Docker-Content-Digest names another digest than the one asked for. */
export async function refuseOtherDigest(
  cx: CacheRequest,
  upstream: Response,
  fallback: string,
  landing: Landing | undefined,
): Promise<void> {
  const named = upstream.headers.get("docker-content-digest");
  if (!upstream.ok || named === null || named === cx.target.reference) return;
  landing?.(false);
  await upstream.body?.cancel();
  throw refusedFromFallback(cx, fallback, named);
}

/**
 * A manifest by digest from a fallback: small and bounded, so read whole and hashed before the client gets it (a
 * HEAD must name the digest). Then `fill.store`d under the route's registry (hashed as it is) when the request leads a
 * fill (`landing`).
 */
export async function manifestFromFallback(
  cx: CacheRequest,
  upstream: Response,
  landing: Landing | undefined,
  fill: { maxBytes: number; store: (bytes: Uint8Array, contentType: string) => Promise<boolean> },
): Promise<Answer> {
  const fallback = cx.trace.fallback ?? "";
  const digest = cx.target.reference;
  if (!upstream.ok || !upstream.body || cx.request.method === "HEAD") {
    landing?.(false);
    const named = upstream.headers.get("docker-content-digest");
    if (upstream.ok && named !== digest) {
      await upstream.body?.cancel();
      throw refusedFromFallback(cx, fallback, named ?? "no digest");
    }
    return { source: "upstream", response: upstream, status: "MISS" };
  }
  let bytes: Uint8Array;
  try {
    ({ bytes } = await readVerified(upstream.body, digest, fill.maxBytes));
  } catch (error) {
    landing?.(false);
    throw refusedFromFallback(cx, fallback, error instanceof DigestMismatch ? error.actual : errorMessage(error));
  }
  const contentType = upstream.headers.get("content-type") ?? "application/octet-stream";
  if (landing) cx.defer(settleWith(landing, fill.store(bytes, contentType)));
  const headers = new Headers(upstream.headers);
  headers.set("content-length", String(bytes.byteLength));
  headers.delete("content-encoding"); // the runtime decoded it: these are the bytes that hash to the digest
  return { source: "upstream", response: new Response(bytes, { status: upstream.status, headers }), status: "MISS" };
}

function refusedFromFallback(cx: CacheRequest, fallback: string, answered: string) {
  logEvent("error", "fallback answered another digest: refused", {
    route: cx.target.upstream.name,
    fallback,
    repository: cx.target.repository,
    object: cx.target.reference,
    answered,
  });
  return upstreamError("UNAVAILABLE", `fallback ${fallback} did not answer ${cx.target.reference}`, fallback, {
    status: 502,
  });
}
