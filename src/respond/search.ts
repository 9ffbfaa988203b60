/**
 * What `docker search` sees: the mirror's own answer to `/v1/_ping`, and the index's JSON passed on untouched.
 * The daemon's side: moby registry/search.go (v1 endpoint ping, session.searchRepositories).
 */
import { bodyFor } from "../core/http";
import type { RoutedRequest } from "../routing/routed";
import { passHeaders } from "./headers";

/** Response headers of the index a client may see. */
const FORWARDED_RESPONSE_HEADERS = ["content-type", "content-length"];

/**
 * Answers `/v1/_ping`. `standalone` tells the daemon this is a registry of its own, so it sends the credentials of a
 * `docker login <this host>` (or `Basic Og==` when there are none) with the search: the mirror's own access rules can
 * then apply to search as they do to pulls. The credentials are never forwarded to the index.
 */
export function answerPing(request: Request): Response {
  const body = JSON.stringify({ standalone: true });
  return new Response(bodyFor(request.method, body), {
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-docker-registry-standalone": "true",
      "cache-control": "no-store",
    },
  });
}

/** The client's response to the index's answer: its JSON untouched, a few headers, never cached. */
export function respondSearch(routed: RoutedRequest, index: Response): Response {
  const headers = passHeaders(index, FORWARDED_RESPONSE_HEADERS, new Headers({ "cache-control": "no-store" }));
  return new Response(bodyFor(routed.request.method, index.body), { status: index.status, headers });
}
