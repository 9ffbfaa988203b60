/**
 * What a client sees of a realm's answer to its `/token`: status and body as the realm sent them, a few headers,
 * never cached, and the realm's own challenge pointed back here on the same route.
 */
import { bodyFor, copyHeaders } from "../core/http";
import type { RoutedRequest } from "../routing/routed";
import type { RelayedToken } from "../upstream/token-proxy";
import { pointRealmHere } from "./headers";

/** Response headers passed back from the realm. */
const TOKEN_RESPONSE_HEADERS = ["content-type", "www-authenticate", "retry-after"];

/** The client's response to a relayed token request. */
export function respondToken(routed: RoutedRequest, { answer, target }: RelayedToken): Response {
  const headers = copyHeaders(answer.headers, TOKEN_RESPONSE_HEADERS, new Headers({ "cache-control": "no-store" }));
  const challenge = headers.get("www-authenticate");
  if (challenge !== null) headers.set("www-authenticate", pointRealmHere(challenge, routed.url, target, false));
  return new Response(bodyFor(routed.request.method, answer.body), { status: answer.status, headers });
}
