/**
 * The one log line per request (Workers Logs indexes JSON). Never headers or query strings: they can carry tokens.
 */
import type { Trace } from "../routing/routed";
import { namesRepository, type Target } from "../routing/target";

/** One line per request: route, repository, object, what the cache did, the fallback that answered, bytes and time. */
export function logRequest(
  request: Request,
  url: URL | undefined,
  target: Target | undefined,
  response: Response,
  trace: Trace,
  started: number,
): void {
  const length = response.headers.get("content-length");
  const named = target && namesRepository(target) ? target : undefined;
  console.log(
    JSON.stringify({
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
    }),
  );
}
