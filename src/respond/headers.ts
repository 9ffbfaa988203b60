/**
 * The headers the mirror itself sets on what the client sees, each in exactly one place: `X-Content-Type-Options`
 * and `X-Cache` on every response on its way out, `Docker-Distribution-API-Version` on every registry answer, and
 * the realm of a challenge pointed back at this Worker's `/token`.
 */
import { formatChallenge, parseChallenge } from "../core/challenge";
import { copyHeaders } from "../core/http";
import { tokenRealmFor } from "../routing/route";
import type { Trace } from "../routing/routed";
import type { Target } from "../routing/target";

/**
 * The response as the client gets it: `nosniff` (a registry answer is data, never a page a browser should guess the
 * type of), and `X-Cache` saying what the cache did. That appears only when the cache step ran (an error after a
 * miss says MISS); a request refused or answered before it (a 403, a bad name, CACHE=off) has none.
 */
export function finishResponse(response: Response, trace: Trace): Response {
  // A fresh response: some (a redirect, a fetched answer) have headers that cannot be changed in place.
  const finished = new Response(response.body, response);
  finished.headers.set("x-content-type-options", "nosniff");
  if (trace.cache !== undefined) finished.headers.set("x-cache", trace.cache);
  return finished;
}

/** Marks a registry answer (the upstream's, the cache's, or an OCI error) as the registry API v2 clients expect. */
export function registryHeaders(init?: HeadersInit): Headers {
  const headers = new Headers(init);
  headers.set("docker-distribution-api-version", "registry/2.0");
  return headers;
}

/**
 * A WWW-Authenticate value with its realm pointed at this Worker's `/token` for `target` (keeping the route, `?ns=`,
 * in the realm's query: clients call a realm exactly as given), service and scope as the upstream set them. A
 * registry's answer has only its Bearer challenge pointed here (`bearerOnly`); a realm's own answer to `/token` has
 * any challenge that names a realm (it may name an internal address).
 */
export function pointRealmHere(header: string, requestUrl: URL, target: Target, bearerOnly: boolean): string {
  const challenge = parseChallenge(header);
  if (challenge?.params.realm === undefined) return header;
  if (bearerOnly && (challenge.scheme !== "bearer" || challenge.params.realm === "")) return header;
  return formatChallenge({ ...challenge, params: { ...challenge.params, realm: tokenRealmFor(requestUrl, target) } });
}

/**
 * The headers of an upstream answer named in `names` (an allow-list), copied into `into`. The runtime decodes a
 * compressed body for us, so the upstream's length would describe other bytes: it goes.
 */
export function passHeaders(upstream: Response, names: readonly string[], into: Headers): Headers {
  const headers = copyHeaders(upstream.headers, names, into);
  if (upstream.headers.has("content-encoding")) headers.delete("content-length");
  return headers;
}
