/**
 * The chain of upstreams behind a route: when the route's own registry refuses a manifest or blob for now (429, 503,
 * unreachable, or a 429 from its token service or its `/v2/` check), each fallback of UPSTREAM_FALLBACKS is asked in
 * order, for this request only. A fallback is a registry like any other, with its own client: its realm learned from
 * its own `/v2/` and pinned, its own anonymous tokens, and nobody's credentials (neither the owner's for the route's
 * registry nor the client's). What a fallback may answer for a digest is the cache's question (cache/by-digest.ts).
 * When every member refuses, the client gets the route's own refusal, with the smallest Retry-After offered.
 */
import type { Config } from "../config/config";
import { registryIdentity } from "../config/registries";
import { RegistryError } from "../core/errors";
import { errorMessage, logEvent } from "../core/log";
import type { Trace } from "../routing/routed";
import { namesRepository, type Target, type TargetKind } from "../routing/target";
import { isUnavailableForNow, type UpstreamRequest, upstreamRateLimited } from "./fetch";
import { clientFor } from "./registry-client";

/** Kinds worth a fallback: content addressed or resolved by tag, identical on any mirror of the registry. */
const FALLBACK_KINDS = new Set<TargetKind>(["manifest", "blob"]);
/** What the route's registry answers when it refuses for now, rather than for good. */
const REFUSALS = new Set([429, 503]);

/** What the route's own registry did: answered, or threw. */
export type Outcome = { response: Response } | { error: unknown };

/** Whether the route's registry refused for now (429, 503, unreachable, refused token or `/v2/`): try the chain. */
export function refusedForNow(outcome: Outcome | { status: number }): boolean {
  if ("status" in outcome) return REFUSALS.has(outcome.status);
  if ("response" in outcome) return REFUSALS.has(outcome.response.status);
  const error = outcome.error;
  return (error instanceof RegistryError && error.code === "TOOMANYREQUESTS") || isUnavailableForNow(error);
}

/** The fallback origins of the target's registry, in order; none for kinds a fallback cannot stand in for. */
export function fallbacksFor(target: Target, config: Config): readonly string[] {
  if (!FALLBACK_KINDS.has(target.kind)) return [];
  return chainOf(target.upstream, config);
}

/** The fallback origins configured for a registry, in order. */
export function chainOf(upstream: Target["upstream"], config: Config): readonly string[] {
  return config.access.fallbacks.get(registryIdentity(upstream)) ?? [];
}

/**
 * After the route's registry refused (`primary`): the first fallback's answer that serves the request, noting its
 * host in `trace.fallback`; else the route's refusal (a 429 thrown as TOOMANYREQUESTS with the smallest Retry-After
 * any member offered, a 503 answered as it came, an error rethrown).
 */
export async function answerFromChain(
  primary: Outcome,
  request: UpstreamRequest,
  target: Target,
  config: Config,
  trace: Trace,
): Promise<Response> {
  const offered: (string | null | undefined)[] = [retryAfterOf(primary)];
  for (const origin of fallbacksFor(target, config)) {
    const answer = await askFallback(origin, request, target, config);
    if (answer instanceof Response) {
      if ("response" in primary) await primary.response.body?.cancel();
      trace.fallback = new URL(origin).host;
      return answer;
    }
    offered.push(answer.retryAfter);
  }
  const retryAfter = smallestRetryAfter(offered);
  if ("error" in primary) throw withRetryAfter(primary.error, retryAfter);
  if (primary.response.status !== 429) return primary.response;
  await primary.response.body?.cancel();
  const headers = new Headers(primary.response.headers);
  if (retryAfter !== undefined) headers.set("retry-after", retryAfter);
  throw upstreamRateLimited(headers, target.upstream.registry);
}

/** One fallback's answer when it serves the request (2xx or 304); else what it offered as Retry-After, if anything. */
async function askFallback(
  origin: string,
  request: UpstreamRequest,
  target: Target,
  config: Config,
): Promise<Response | { retryAfter: string | null | undefined }> {
  const path = new URL(request.url);
  const headers = new Headers(request.headers);
  headers.delete("authorization"); // the client's credentials are for the route's registry, never for a fallback
  const fallbackRequest = { ...request, headers, url: `${origin}${path.pathname}${path.search}` };
  const repository = namesRepository(target) ? target.repository : undefined;
  const log = { route: target.upstream.name, fallback: new URL(origin).host };
  let response: Response;
  try {
    // Through the same path as the route's own request, so under the same limits (deadline, idle watch, hops).
    response = await clientFor({ registry: origin }).fetchAs(fallbackRequest, repository, "anonymous", config);
  } catch (error) {
    logEvent("warn", "fallback failed", { ...log, error: errorMessage(error) });
    return { retryAfter: error instanceof RegistryError ? error.headers["Retry-After"] : undefined };
  }
  logEvent("log", "upstream refused, asked a fallback", { ...log, status: response.status });
  if (response.ok || response.status === 304) return response;
  await response.body?.cancel();
  return { retryAfter: response.status === 429 ? response.headers.get("retry-after") : undefined };
}

function retryAfterOf(outcome: Outcome): string | null | undefined {
  if ("response" in outcome)
    return outcome.response.status === 429 ? outcome.response.headers.get("retry-after") : undefined;
  return outcome.error instanceof RegistryError && outcome.error.code === "TOOMANYREQUESTS"
    ? outcome.error.headers["Retry-After"]
    : undefined;
}

/** The smallest Retry-After among those offered (seconds, or an HTTP date), as offered; undefined when none parses. */
export function smallestRetryAfter(offered: readonly (string | null | undefined)[]): string | undefined {
  let smallest: { seconds: number; text: string } | undefined;
  for (const value of offered) {
    const text = value?.trim() ?? "";
    const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
    const seconds = /^\d+$/.test(text) ? Number(text) : Number.isNaN(date) ? undefined : (date - Date.now()) / 1000;
    if (seconds !== undefined && (smallest === undefined || seconds < smallest.seconds)) smallest = { seconds, text };
  }
  return smallest?.text;
}

/** A rate-limit error of the route's registry, saying the smallest Retry-After; anything else as it was. */
function withRetryAfter(error: unknown, retryAfter: string | undefined): unknown {
  if (!(error instanceof RegistryError) || error.code !== "TOOMANYREQUESTS" || retryAfter === undefined) return error;
  return new RegistryError(error.code, error.message, {
    status: error.status,
    headers: { ...error.headers, "Retry-After": retryAfter },
    cause: error.cause,
    ...(error.upstreamUrl === undefined ? {} : { upstreamUrl: error.upstreamUrl }),
  });
}
