/**
 * What every response gets on its way out, whichever step built it: `X-Content-Type-Options: nosniff` (a registry
 * answer is data, never a page a browser should guess the type of), and `X-Cache` where a cache was asked.
 */
import type { Trace } from "../routing/routed";

/**
 * The response as the client gets it. `X-Cache` says what the cache did, so it appears only when the cache step ran
 * (an error after a miss says MISS); a request refused or answered before it (a 403, a bad name, CACHE=off) has none.
 */
export function finishResponse(response: Response, trace: Trace): Response {
  // A fresh response: some (a redirect, a fetched answer) have headers that cannot be changed in place.
  const finished = new Response(response.body, response);
  finished.headers.set("x-content-type-options", "nosniff");
  if (trace.cache !== undefined && !finished.headers.has("x-cache")) finished.headers.set("x-cache", trace.cache);
  return finished;
}
