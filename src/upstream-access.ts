/**
 * Whose credentials a registry request goes upstream with.
 *
 * - Mirror users mode: always the Worker's own authentication (the route's credentials, or anonymous). The client's
 *   Authorization holds a mirror token and never leaves this Worker.
 * - Otherwise a client that sends Authorization (a token it got through our `/token`) is passed through as before;
 *   one that sends none is served with the route's credentials when it has some, and is challenged as before if not.
 */
import type { Config } from "./config";
import { fetchWithWorkerAuth, type WorkerAuth } from "./credentials";
import { RegistryError } from "./errors";
import type { Target } from "./route";
import { fetchUpstream, type UpstreamRequest } from "./upstream";

/** Fetches a routed registry request the way this client may have it; see the module comment for the rules. */
export async function fetchForClient(request: UpstreamRequest, target: Target, config: Config): Promise<Response> {
  const credential = config.access.credentials.get(target.upstream.name);
  const mirrorMode = config.access.mirror !== undefined;
  let response: Response;
  if (mirrorMode || (credential !== undefined && !request.headers.has("authorization"))) {
    // Nothing to ask upstream: the client is admitted, and the Worker authenticates every later request itself.
    if (target.kind === "base") return new Response("{}", { headers: { "content-type": "application/json" } });
    const auth: WorkerAuth = { registry: target.upstream.registry, realm: target.upstream.realm, repository: target.repository, credential };
    response = hideAccount(await fetchWithWorkerAuth(withoutAuthorization(request), auth, config));
    if (response.status === 401 && mirrorMode) {
      await response.body?.cancel();
      // The client is logged in here; the upstream refused the mirror. A challenge would only send it round again.
      throw new RegistryError("DENIED", `upstream ${target.upstream.hosts[0]} refused the mirror access to ${target.repository} (private, or it does not exist)`);
    }
  } else {
    response = await fetchUpstream(request, { timeoutMs: config.upstreamTimeoutMs });
  }
  return response;
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
