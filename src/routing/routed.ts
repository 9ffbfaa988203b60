/**
 * One routed registry request, as each step after routing sees it: the request, its target, the configuration, and
 * the trace its log line reports. The entry builds it once; the cache step adds its own fields (cache/context.ts).
 */
import type { Config } from "../config/config";
import type { Target } from "./target";

/** What the cache did for a response, as the `X-Cache` header tells the client. */
export type CacheStatus = "HIT" | "MISS" | "REVALIDATED" | "STALE";

/** Facts about one request for its log line. */
export interface Trace {
  cache?: CacheStatus;
  /**
   * The host of the fallback registry (UPSTREAM_FALLBACKS) that answered the last upstream call, when the route's own
   * registry did not: the client sees it as `X-Edgehub-Upstream`, the log line as `fallback`.
   */
  fallback?: string;
  /** Time spent waiting for upstream response headers, summed over every upstream call on the response path. */
  upstreamMs: number;
}

/** A routed request in flight; `T` narrows the target where a step serves one kind only. */
export interface RoutedRequest<T extends Target = Target> {
  request: Request;
  url: URL;
  target: T;
  config: Config;
  trace: Trace;
}

/** Awaits an upstream call, adding its wait to the trace. */
export async function timed<T>(trace: Trace, call: Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call;
  } finally {
    trace.upstreamMs += Date.now() - started;
  }
}
