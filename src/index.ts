/**
 * edgehub: a pull-through mirror of Docker Hub and other OCI registries, as a Cloudflare Worker.
 * One request flows route -> screen -> (token | admit, then registry proxy or search | page) -> response; any
 * RegistryError becomes OCI error JSON here.
 */
import { loadConfig, type Config, type Env } from "./config";
import { errorResponse, toRegistryError } from "./errors";
import { assertMirrorAccess, assertMirrorLogin, issueMirrorToken } from "./mirror-auth";
import { answerBlockedCrawler, answerBrowserPath } from "./pages/home";
import { assertRepositoryAllowed, isBlockedAgent, screenClient } from "./policy";
import { proxyRegistry } from "./proxy";
import { routeRequest, type Target } from "./route";
import { answerPing, proxySearch } from "./search";
import { handleToken } from "./token";

export type { Env } from "./config";

/** The Worker. */
export default {
  async fetch(request, env): Promise<Response> {
    const started = Date.now();
    const url = new URL(request.url);
    let target: Target | undefined;
    let response: Response;
    try {
      const config = loadConfig(env);
      target = routeRequest(request.method, url, config);
      if (target.kind === "page" && isBlockedAgent(request, config)) {
        response = await answerBlockedCrawler(request, config); // a crawler sees the decoy, never the guide
      } else {
        await screenClient(request, config);
        response = await dispatch(request, target, config);
      }
    } catch (thrown) {
      const error = toRegistryError(thrown);
      if (error.status >= 500) console.error(JSON.stringify({ msg: "request failed", error: error.message, cause: String(error.cause ?? "") }));
      response = errorResponse(error, request.method);
    }
    logRequest(request, url, target, response, started);
    return response;
  },
} satisfies ExportedHandler<Env>;

async function dispatch(request: Request, target: Target, config: Config): Promise<Response> {
  switch (target.kind) {
    case "page":
      return answerBrowserPath(request, config);
    case "search":
      await assertMirrorLogin(request, config);
      return proxySearch(request, target, config);
    case "ping":
      return answerPing(request);
    case "token":
      return config.access.mirror ? issueMirrorToken(request, target, config) : handleToken(request, target, config);
    default:
      // Who the client is first (401), then whether the image is served here (403): a stranger learns neither.
      await assertMirrorAccess(request, target, config);
      assertRepositoryAllowed(target, config);
      return proxyRegistry(request, target, config);
  }
}

/** One structured line per request. Never the query string or headers: they can carry tokens. */
function logRequest(request: Request, url: URL, target: Target | undefined, response: Response, started: number): void {
  console.log(
    JSON.stringify({
      method: request.method,
      path: url.pathname,
      route: target?.upstream.name,
      kind: target?.kind,
      repository: target?.repository,
      status: response.status,
      ms: Date.now() - started,
    }),
  );
}
