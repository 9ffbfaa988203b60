/**
 * Structured log lines (Workers Logs indexes JSON). Never headers or query strings: they can carry tokens.
 */
import type { Trace } from "./context";
import type { Target } from "./route";

/** One line per request: route, repository, object, what the cache did, bytes and upstream time. */
export function logRequest(request: Request, url: URL, target: Target | undefined, response: Response, trace: Trace, started: number): void {
  const length = response.headers.get("content-length");
  console.log(
    JSON.stringify({
      method: request.method,
      path: url.pathname,
      route: target?.upstream.name,
      kind: target?.kind,
      repository: target?.repository,
      object: target?.reference,
      status: response.status,
      cache: trace.cache,
      bytes: length === null || request.method === "HEAD" ? undefined : Number(length),
      upstreamMs: trace.upstreamMs,
      ms: Date.now() - started,
    }),
  );
}

/** A line about work off the response path (a store that failed, a digest that did not match). */
export function logEvent(level: "warn" | "error", msg: string, fields: Record<string, unknown>): void {
  console[level](JSON.stringify({ msg, ...fields }));
}
