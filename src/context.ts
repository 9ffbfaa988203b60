/**
 * What handling one registry request needs, built once by index.ts and passed down: the routed request, the
 * configuration, the cache, a way to finish work after the response (storing), and the trace the log line reports.
 */
import type { EdgeCache } from "./cache";
import type { Config } from "./config";
import type { Target } from "./route";

/** What the cache did for a response, as the `X-Cache` header tells the client. */
export type CacheStatus = "HIT" | "MISS" | "REVALIDATED" | "STALE";

/** Facts about one request for its log line. */
export interface Trace {
  cache?: CacheStatus;
  /** Time spent waiting for upstream response headers, summed over every upstream call on the response path. */
  upstreamMs: number;
}

/** One registry request in flight. */
export interface RequestContext {
  request: Request;
  url: URL;
  target: Target;
  config: Config;
  cache: EdgeCache;
  trace: Trace;
  /** Runs `work` after the response has gone (ctx.waitUntil); a failure is logged, never thrown at the client. */
  defer(work: Promise<unknown>): void;
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
