/**
 * Whose credentials a registry request goes upstream with, and what a rate-limited upstream means for the client.
 *
 * - Mirror users mode: always the Worker's own authentication (the owner's credentials for the registry, or
 *   anonymous). The client's Authorization holds a mirror token and never leaves this Worker.
 * - A route to another registry than the one the request's host names (a path prefix or `ns`): a client's
 *   credentials are for the host's registry (`docker login mirror` is a Docker Hub login) and never go to another.
 *   The owner's credentials serve it when that registry has some; otherwise only a Bearer token passes (`/token` gave
 *   it out anonymously for this registry), never HTTP Basic.
 * - Otherwise a client that sends Authorization (a token it got through our `/token`) is passed through as before;
 *   one that sends none is served with the owner's credentials when the registry has some, and is challenged if not.
 *   One holding the placeholder (placeholder.ts) sent none, and is served as the Worker itself, anonymously.
 *
 * When the route's registry refuses for now (429, 503, unreachable), the route's fallbacks are asked in order
 * (fallbacks.ts); when none serves, a 429 becomes TOOMANYREQUESTS with Retry-After. With the owner's credentials
 * configured, the route's registry is asked with them first. Upstream rate-limit headers are logged and kept in
 * sight (quota.ts).
 */
import type { Config } from "../config/config";
import { registryIdentity } from "../config/registries";
import { bearerToken } from "../core/challenge";
import { upstreamError } from "../core/errors";
import { logEvent } from "../core/log";
import { isHostsRegistry } from "../routing/route";
import { type RoutedRequest, type Trace, timed } from "../routing/routed";
import { namesRepository, type Target } from "../routing/target";
import { answerFromChain, type Outcome, refusedForNow } from "./fallbacks";
import { fetchUpstream, type UpstreamRequest } from "./fetch";
import { isPlaceholder } from "./placeholder";
import { noteRateLimit, type QuotaOwner } from "./quota";
import { clientFor } from "./registry-client";
import { targetRequest, upstreamHeaders } from "./target-request";

/** How a check on the client's behalf differs from the client's own request. */
export interface FetchTargetOptions {
  /** Overrides the client's method (a HEAD to revalidate a GET). */
  method?: string;
  /**
   * `false`: the route's registry alone, never its fallbacks. Who may be served what (an access check, a link) rests on
   * the route's own answer: a fallback's 200 says nothing about the route's registry.
   */
  fallbacks?: false;
}

/**
 * Fetches the target from its upstream the way this client may have it: the one place that decides whose
 * credentials go with a registry request (see the module comment), then the route's fallbacks. `trace.fallback`
 * names the fallback that answered this call, if one did. Its answer teaches nothing about realms: the registry's
 * client learns those from the registry's own `/v2/` only.
 */
export function fetchTarget(routed: RoutedRequest, options: FetchTargetOptions = {}): Promise<Response> {
  const request = targetRequest(routed, options.method);
  delete routed.trace.fallback;
  const { target, config, trace } = routed;
  if (options.fallbacks === false) return timed(trace, fetchAuthorised(request, target, config, isOwnRoute(routed)));
  return timed(trace, fetchChained(request, target, config, isOwnRoute(routed), trace));
}

/** The route's registry first, then, when it refuses for now, its fallbacks (fallbacks.ts). */
async function fetchChained(
  request: UpstreamRequest,
  target: Target,
  config: Config,
  ownRoute: boolean,
  trace: Trace,
): Promise<Response> {
  let outcome: Outcome;
  try {
    outcome = { response: await fetchAuthorised(request, target, config, ownRoute) };
  } catch (error) {
    outcome = { error };
  }
  if (!refusedForNow(outcome)) {
    if ("response" in outcome) return outcome.response;
    throw outcome.error;
  }
  return hideAccount(await answerFromChain(outcome, request, target, config, trace));
}

/**
 * Whether this request goes upstream with credentials: the client's own, or the owner's. What was fetched with them
 * is not evidence that the upstream serves it to everyone (the cache asks anonymously instead).
 */
export function sendsCredentials(routed: RoutedRequest): boolean {
  const { target, config } = routed;
  const clientHeaders = upstreamHeaders(routed.request);
  const ownRoute = isOwnRoute(routed);
  if (workerAuthenticates(clientHeaders, target, config, ownRoute)) return hasOwnerCredentials(target, config);
  return ownRoute ? clientHeaders.has("authorization") : isBearer(clientHeaders);
}

/** Whether the client's own credentials may go with this request: its registry is the one the host names. */
function isOwnRoute(routed: RoutedRequest): boolean {
  return isHostsRegistry(routed.url, routed.target, routed.config);
}

async function fetchAuthorised(
  request: UpstreamRequest,
  target: Target,
  config: Config,
  ownRoute: boolean,
): Promise<Response> {
  const client = clientFor(target.upstream);
  let response: Response;
  let whose: QuotaOwner | undefined;
  if (workerAuthenticates(request.headers, target, config, ownRoute)) {
    // Nothing to ask upstream: the client is admitted, and the Worker authenticates every later request itself.
    if (target.kind === "base") return new Response("{}", { headers: { "content-type": "application/json" } });
    whose = hasOwnerCredentials(target, config) ? "owner" : "anonymous";
    response = hideAccount(await client.fetchAs(withoutAuthorization(request), repositoryOf(target), whose, config));
    if (response.status === 401 && config.access.mirror !== undefined) {
      await response.body?.cancel();
      // The client is logged in here; the upstream refused the mirror. A challenge would only send it round again.
      throw upstreamError(
        "DENIED",
        `refused the mirror access to ${repositoryOf(target) ?? "it"} (private, or it does not exist)`,
        target.upstream.registry,
      );
    }
  } else {
    const direct = ownRoute || isBearer(request.headers) ? request : withoutAuthorization(request);
    response = await fetchUpstream(direct, client.limits(config));
    client.heard(response); // a 401 the client follows to /token, which then needs the registry's realm
    if (!direct.headers.has("authorization")) whose = "anonymous";
  }
  logRateLimit(target, response);
  noteRateLimit(target.upstream.name, response.headers, whose);
  return response;
}

/**
 * Whether the Worker, not the client, authenticates this request upstream: always in mirror users mode, and with the
 * owner's credentials for a client that sends none, or that is on a route the host does not name (`ownRoute` false).
 * A client holding the placeholder (placeholder.ts) sent none: the Worker asks anonymously, never with the placeholder.
 */
function workerAuthenticates(clientHeaders: Headers, target: Target, config: Config, ownRoute: boolean): boolean {
  if (config.access.mirror !== undefined || isPlaceholder(clientHeaders)) return true;
  return hasOwnerCredentials(target, config) && (!clientHeaders.has("authorization") || !ownRoute);
}

function isBearer(headers: Headers): boolean {
  return bearerToken(headers.get("authorization")) !== undefined;
}

function hasOwnerCredentials(target: Target, config: Config): boolean {
  return config.access.credentials.has(registryIdentity(target.upstream));
}

/** One line per upstream answer that carries Docker Hub's rate-limit headers (`100;w=21600`), so the owner sees them. */
function logRateLimit(target: Target, response: Response): void {
  const limit = response.headers.get("ratelimit-limit");
  const remaining = response.headers.get("ratelimit-remaining");
  if (limit === null && remaining === null) return;
  logEvent("log", "upstream rate limit", { route: target.upstream.name, status: response.status, limit, remaining });
}

function repositoryOf(target: Target): string | undefined {
  return namesRepository(target) ? target.repository : undefined;
}

function withoutAuthorization(request: UpstreamRequest): UpstreamRequest {
  const headers = new Headers(request.headers);
  headers.delete("authorization");
  return { ...request, headers };
}

/** Docker Hub names the account a pull was counted against; an anonymous client has no business knowing the owner's. */
function hideAccount(response: Response): Response {
  if (!response.headers.has("docker-ratelimit-source")) return response;
  const headers = new Headers(response.headers);
  headers.delete("docker-ratelimit-source");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
