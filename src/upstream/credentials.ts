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
 *
 * An upstream 429 is retried once on the route's fallback mirror when one is configured; otherwise, or when the
 * fallback fails too, it becomes TOOMANYREQUESTS with Retry-After. Upstream rate-limit headers are logged.
 */
import type { Config } from "../config/config";
import { registryIdentity } from "../config/registries";
import { bearerToken } from "../core/challenge";
import { upstreamError } from "../core/errors";
import { errorMessage, logEvent } from "../core/log";
import { isHostsRegistry } from "../routing/route";
import { type RoutedRequest, timed } from "../routing/routed";
import { namesRepository, type Target, type TargetKind } from "../routing/target";
import { fetchUpstream, type UpstreamRequest, upstreamRateLimited } from "./fetch";
import { clientFor } from "./registry-client";
import { targetRequest, upstreamHeaders } from "./target-request";

/** Kinds worth a fallback mirror: content addressed or resolved by tag, identical on any mirror of the registry. */
const FALLBACK_KINDS = new Set<TargetKind>(["manifest", "blob"]);

/** How a check on the client's behalf differs from the client's own request. */
export interface FetchTargetOptions {
  /** Overrides the client's method (a HEAD to revalidate a GET). */
  method?: string;
}

/**
 * Fetches the target from its upstream the way this client may have it: the one place that decides whose
 * credentials go with a registry request (see the module comment), then 429 and the fallback mirror. Its answer
 * teaches nothing about realms: the registry's client learns those from the registry's own `/v2/` only.
 */
export function fetchTarget(routed: RoutedRequest, options: FetchTargetOptions = {}): Promise<Response> {
  const request = targetRequest(routed, options.method);
  return timed(routed.trace, fetchAuthorised(request, routed.target, routed.config, isOwnRoute(routed)));
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
  if (workerAuthenticates(request.headers, target, config, ownRoute)) {
    // Nothing to ask upstream: the client is admitted, and the Worker authenticates every later request itself.
    if (target.kind === "base") return new Response("{}", { headers: { "content-type": "application/json" } });
    const who = hasOwnerCredentials(target, config) ? "owner" : "anonymous";
    response = hideAccount(await client.fetchAs(withoutAuthorization(request), repositoryOf(target), who, config));
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
  }
  logRateLimit(target, response);
  if (response.status !== 429) return response;
  const fallback = await fetchFallback(request, target, config);
  const error = upstreamRateLimited(response.headers, target.upstream.registry);
  await response.body?.cancel();
  if (fallback) return fallback;
  throw error;
}

/**
 * Whether the Worker, not the client, authenticates this request upstream: always in mirror users mode, and with the
 * owner's credentials for a client that sends none, or that is on a route the host does not name (`ownRoute` false).
 */
function workerAuthenticates(clientHeaders: Headers, target: Target, config: Config, ownRoute: boolean): boolean {
  if (config.access.mirror !== undefined) return true;
  return hasOwnerCredentials(target, config) && (!clientHeaders.has("authorization") || !ownRoute);
}

function isBearer(headers: Headers): boolean {
  return bearerToken(headers.get("authorization")) !== undefined;
}

function hasOwnerCredentials(target: Target, config: Config): boolean {
  return config.access.credentials.has(registryIdentity(target.upstream));
}

/** The same request on the route's fallback mirror, anonymously; undefined unless it succeeds. */
async function fetchFallback(request: UpstreamRequest, target: Target, config: Config): Promise<Response | undefined> {
  const origin = config.access.fallbacks.get(registryIdentity(target.upstream));
  if (origin === undefined || !FALLBACK_KINDS.has(target.kind)) return undefined;
  const path = new URL(request.url);
  const fallbackRequest = { ...withoutAuthorization(request), url: `${origin}${path.pathname}${path.search}` };
  let response: Response;
  try {
    // The fallback is a registry of its own: its own client, its own realm, nobody's credentials.
    // Through the same path as the route's own request, so under the same limits (deadline, idle watch, hops).
    response = await clientFor({ registry: origin }).fetchAs(
      fallbackRequest,
      repositoryOf(target),
      "anonymous",
      config,
    );
  } catch (error) {
    logEvent("error", "fallback failed", { route: target.upstream.name, fallback: origin, error: errorMessage(error) });
    return undefined;
  }
  logEvent("log", "upstream 429, tried fallback", {
    route: target.upstream.name,
    fallback: origin,
    status: response.status,
  });
  if (response.ok || response.status === 304) return hideAccount(response);
  await response.body?.cancel();
  return undefined;
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
