/**
 * The one log line per request (Workers Logs indexes JSON). Never headers or query strings: they can carry tokens.
 */
import type { Trace } from "../routing/routed";
import { namesRepository, type Target } from "../routing/target";

/** What one request's log line says; the owner's statistics are counted from it too (stats/tally.ts). */
export interface RequestLine {
  method: string;
  path: string | undefined;
  route: string | undefined;
  kind: Target["kind"] | undefined;
  repository: string | undefined;
  object: string | undefined;
  status: number;
  cache: Trace["cache"];
  /** The fallback registry that answered instead of the route's own (#23), if one did. */
  fallback: string | undefined;
  bytes: number | undefined;
  upstreamMs: number;
  ms: number;
}

/** One line per request: route, repository, object, what the cache did, the fallback that answered, bytes and time. Returns the line. */
export function logRequest(
  request: Request,
  url: URL | undefined,
  target: Target | undefined,
  response: Response,
  trace: Trace,
  started: number,
): RequestLine {
  const length = response.headers.get("content-length");
  const named = target && namesRepository(target) ? target : undefined;
  const line: RequestLine = {
    method: request.method,
    path: url?.pathname,
    route: target?.upstream.name,
    kind: target?.kind,
    repository: named?.repository,
    object: named?.kind === "tags" ? undefined : named?.reference,
    status: response.status,
    cache: trace.cache,
    fallback: trace.fallback,
    bytes: length === null || request.method === "HEAD" ? undefined : Number(length),
    upstreamMs: trace.upstreamMs,
    ms: Date.now() - started,
  };
  console.log(JSON.stringify(line));
  return line;
}
