/**
 * edgehub: a pull-through mirror of Docker Hub and other OCI registries, as a Cloudflare Worker.
 * A request travels one way (src/README.md): configuration -> route -> access -> (token | search | page | the
 * registry: cache, upstream) -> respond. Any RegistryError becomes OCI error JSON here, the only top-level catch.
 */
import { assertRepositoryAllowed } from "./access/lists";
import { assertMirrorAccess, assertMirrorLogin, issueMirrorToken } from "./access/mirror-auth";
import { isBlockedAgent, screenClient } from "./access/screen";
import { type Config, configFailure, loadConfig } from "./config/config";
import type { Env } from "./config/env";
import { toRegistryError } from "./core/errors";
import { logEvent, logUrl } from "./core/log";
import { answerBlockedCrawler, answerBrowserPath, answerMisconfigured } from "./pages/home";
import { errorResponse } from "./respond/errors";
import { finishResponse } from "./respond/headers";
import { logRequest } from "./respond/request-log";
import { answerPing, respondSearch } from "./respond/search";
import { respondToken } from "./respond/token";
import { parseClientUrl, routeRequest } from "./routing/route";
import type { RoutedRequest, Trace } from "./routing/routed";
import type { Target } from "./routing/target";
import { serveRegistry } from "./serve";
import { answerStats } from "./stats/serve";
import { countRequest } from "./stats/tally";
import { fetchSearch } from "./upstream/search";
import { relayToken } from "./upstream/token-proxy";

export type { Env } from "./config/env";
/** The Durable Object class that keeps the owner's statistics (binding STATS). */
export { StatsStore } from "./stats/store";

/** The Worker. */
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const started = Date.now();
    const trace: Trace = { upstreamMs: 0 };
    let url: URL | undefined;
    let target: Target | undefined;
    let config: Config | undefined;
    let response: Response;
    try {
      url = parseClientUrl(request);
      config = loadConfig(env);
      target = routeRequest(request.method, url, config);
      if (target.kind === "page" && isBlockedAgent(request, config)) {
        response = await answerBlockedCrawler(request, config, url); // a crawler sees the decoy, never the guide
      } else {
        await screenClient(request, config);
        response = await dispatch({ request, url, target, config, trace }, ctx);
      }
    } catch (thrown) {
      const error = toRegistryError(thrown);
      if (error.status >= 500 || error.upstreamUrl !== undefined) {
        logEvent(error.status >= 500 ? "error" : "warn", "request failed", {
          error: error.message,
          route: target?.upstream.name,
          upstream: logUrl(error.upstreamUrl),
          cause: String(error.cause ?? ""),
        });
      }
      // A configuration error is shown where the owner looks first, the page at `/` (clients print only "500").
      const misconfigured = url?.pathname === "/" && configFailure(env) === error;
      response =
        (misconfigured && answerMisconfigured(request, error, env.HOME_PAGE)) ||
        errorResponse(error, request.method, target?.upstream.name);
    }
    response = finishResponse(response, trace);
    const line = logRequest(request, url, target, response, trace, started);
    if (config?.stats) countRequest(line, config.stats, ctx);
    return response;
  },
} satisfies ExportedHandler<Env>;

async function dispatch(routed: RoutedRequest, ctx: ExecutionContext): Promise<Response> {
  const { request, target, config } = routed;
  switch (target.kind) {
    case "page":
      return (await answerStats(request, routed.url, config)) ?? answerBrowserPath(request, routed.url, config);
    case "search":
      await assertMirrorLogin(routed);
      return respondSearch(routed, await fetchSearch(routed));
    case "ping":
      return answerPing(request);
    case "token":
      // The mirror's own tokens for its users, or the upstream's realm behind it.
      return config.access.mirror
        ? issueMirrorToken(routed, config.access.mirror)
        : respondToken(routed, await relayToken(routed));
    default:
      // Who the client is first (401), then whether the image is served here (403): a stranger learns neither.
      // With mirror users the access check makes the allow/deny check itself, between its 401s and its scope check.
      if (config.access.mirror) await assertMirrorAccess(routed);
      else assertRepositoryAllowed(target, config);
      return serveRegistry(routed, ctx);
  }
}
