/**
 * What a fallback (UPSTREAM_FALLBACKS) may answer for a digest. A fallback is another registry: its answer is
 * accepted only if it is the digest asked for. A Docker-Content-Digest naming another is refused (502) before the
 * client sees a byte; a manifest (small, bounded) is read whole and hashed first, and a HEAD must name the digest; a
 * blob's bytes are checked by the fill (by-digest.ts storesFallbackFill) and by the client, which verifies what it
 * asked for by digest. The same check holds with the cache off.
 */
import { upstreamError } from "../core/errors";
import { errorMessage, logEvent } from "../core/log";
import type { RoutedRequest } from "../routing/routed";
import type { ObjectTarget } from "../routing/target";
import { DigestMismatch, readVerified } from "./verify";

/** A fallback's answer, checked: the response to pass on, and a manifest's bytes, hashed to the digest (to store). */
export interface CheckedAnswer {
  response: Response;
  manifest?: { bytes: Uint8Array; contentType: string };
}

/**
 * Checks an answer to a request by digest when a fallback gave it (`trace.fallback`); throws a 502 when it is not
 * that digest. An answer of the route's own registry, or a refusal, passes as it is.
 */
export async function checkFallbackAnswer(
  routed: RoutedRequest<ObjectTarget>,
  upstream: Response,
  maxManifestBytes: number,
): Promise<CheckedAnswer> {
  const fallback = routed.trace.fallback;
  if (fallback === undefined || !upstream.ok) return { response: upstream };
  const digest = routed.target.reference;
  const named = upstream.headers.get("docker-content-digest");
  const manifest = routed.target.kind === "manifest";
  const body = routed.request.method === "HEAD" ? null : upstream.body;
  if ((named !== null && named !== digest) || (manifest && body === null && named !== digest)) {
    await upstream.body?.cancel();
    throw refused(routed, fallback, named ?? "no digest");
  }
  if (!manifest || body === null) return { response: upstream };
  let bytes: Uint8Array;
  try {
    ({ bytes } = await readVerified(body, digest, maxManifestBytes));
  } catch (error) {
    throw refused(routed, fallback, error instanceof DigestMismatch ? error.actual : errorMessage(error));
  }
  const headers = new Headers(upstream.headers);
  headers.set("content-length", String(bytes.byteLength));
  headers.delete("content-encoding"); // the runtime decoded it: these are the bytes that hash to the digest
  return {
    response: new Response(bytes, { status: upstream.status, headers }),
    manifest: { bytes, contentType: upstream.headers.get("content-type") ?? "application/octet-stream" },
  };
}

function refused(routed: RoutedRequest<ObjectTarget>, fallback: string, answered: string) {
  logEvent("error", "fallback answered another digest: refused", {
    route: routed.target.upstream.name,
    fallback,
    repository: routed.target.repository,
    object: routed.target.reference,
    answered,
  });
  return upstreamError("UNAVAILABLE", `fallback ${fallback} did not answer ${routed.target.reference}`, fallback, {
    status: 502,
  });
}
