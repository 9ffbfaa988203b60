/**
 * Whose credentials a registry request goes upstream with, and what a rate-limited upstream means for the client.
 *
 * - Mirror users mode: always the Worker's own authentication (the route's credentials, or anonymous). The client's
 *   Authorization holds a mirror token and never leaves this Worker.
 * - Otherwise a client that sends Authorization (a token it got through our `/token`) is passed through as before;
 *   one that sends none is served with the route's credentials when it has some, and is challenged as before if not.
 *
 * An upstream 429 is retried once on the route's fallback mirror when one is configured; otherwise, or when the
 * fallback fails too, it becomes TOOMANYREQUESTS with Retry-After. Upstream rate-limit headers are logged.
 */
import type { Config } from "../config/config";
import { upstreamError } from "../core/errors";
import { errorMessage, logEvent } from "../core/log";
import { namesRepository, type Target, type TargetKind } from "../routing/target";
import { fetchUpstream, upstreamRateLimited, type FetchLimits, type UpstreamRequest } from "./fetch";
import { fetchWithWorkerAuth, type WorkerAuth } from "./worker-auth";

/** Kinds worth a fallback mirror: content addressed or resolved by tag, identical on any mirror of the registry. */
const FALLBACK_KINDS = new Set<TargetKind>(["manifest", "blob"]);

/** Fetches a routed registry request the way this client may have it; see the module comment for the rules. */
export async function fetchForClient(
  request: UpstreamRequest,
  target: Target,
  config: Config,
  limits: Omit<FetchLimits, "timeoutMs"> = {},
): Promise<Response> {
  const credential = config.access.credentials.get(target.upstream.name);
  const mirrorMode = config.access.mirror !== undefined;
  let response: Response;
  if (workerAuthenticates(request.headers, target, config)) {
    // Nothing to ask upstream: the client is admitted, and the Worker authenticates every later request itself.
    if (target.kind === "base") return new Response("{}", { headers: { "content-type": "application/json" } });
    const auth: WorkerAuth = { registry: target.upstream.registry, realm: target.upstream.realm, repository: repositoryOf(target), credential };
    response = hideAccount(await fetchWithWorkerAuth(withoutAuthorization(request), auth, config, limits));
    if (response.status === 401 && mirrorMode) {
      await response.body?.cancel();
      // The client is logged in here; the upstream refused the mirror. A challenge would only send it round again.
      throw upstreamError("DENIED", `refused the mirror access to ${repositoryOf(target) ?? "it"} (private, or it does not exist)`, target.upstream.registry);
    }
  } else {
    response = await fetchUpstream(request, { timeoutMs: config.upstreamTimeoutMs, ...limits });
  }
  logRateLimit(target, response);
  if (response.status !== 429) return response;
  const fallback = await fetchFallback(request, target, config);
  const error = upstreamRateLimited(response, target.upstream.registry);
  await response.body?.cancel();
  if (fallback) return fallback;
  throw error;
}

/**
 * Whether the Worker, not the client, authenticates this request upstream: always in mirror users mode, and for a
 * client that sends no credentials on a route that has some. What the Worker fetched with its own credentials is
 * not evidence that the upstream serves it to everyone (the cache asks it anonymously instead).
 */
export function workerAuthenticates(clientHeaders: Headers, target: Target, config: Config): boolean {
  if (config.access.mirror !== undefined) return true;
  return config.access.credentials.has(target.upstream.name) && !clientHeaders.has("authorization");
}

/** The same request on the route's fallback mirror, anonymously; undefined unless it succeeds. */
async function fetchFallback(request: UpstreamRequest, target: Target, config: Config): Promise<Response | undefined> {
  const origin = config.access.fallbacks.get(target.upstream.name);
  if (origin === undefined || !FALLBACK_KINDS.has(target.kind)) return undefined;
  const path = new URL(request.url);
  const fallbackRequest = { ...withoutAuthorization(request), url: `${origin}${path.pathname}${path.search}` };
  let response: Response;
  try {
    response = await fetchWithWorkerAuth(fallbackRequest, { registry: origin, repository: repositoryOf(target) }, config);
  } catch (error) {
    logEvent("error", "fallback failed", { route: target.upstream.name, fallback: origin, error: errorMessage(error) });
    return undefined;
  }
  logEvent("log", "upstream 429, tried fallback", { route: target.upstream.name, fallback: origin, status: response.status });
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
