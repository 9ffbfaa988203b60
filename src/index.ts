/**
 * edgehub: a pull-through mirror of Docker Hub and other OCI registries, as a Cloudflare Worker.
 * One request flows route -> (token | registry proxy | search | page) -> response; any RegistryError becomes OCI error JSON here.
 */
import { loadConfig, type Config, type Env } from "./config";
import { errorResponse, toRegistryError } from "./errors";
import { answerBrowserPath } from "./pages/home";
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
      response = await dispatch(request, target, config);
    } catch (thrown) {
      const error = toRegistryError(thrown);
      if (error.status >= 500) console.error(JSON.stringify({ msg: "request failed", error: error.message, cause: String(error.cause ?? "") }));
      response = errorResponse(error, request.method);
    }
    logRequest(request, url, target, response, started);
    return response;
  },
} satisfies ExportedHandler<Env>;

function dispatch(request: Request, target: Target, config: Config): Promise<Response> | Response {
  switch (target.kind) {
    case "page":
      return answerBrowserPath(request, config);
    case "search":
      return proxySearch(request, target, config);
    case "ping":
      return answerPing(request);
    case "token":
      return handleToken(request, target, config);
    default:
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
