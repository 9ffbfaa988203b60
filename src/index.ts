/**
 * edgehub: a pull-through mirror of Docker Hub and other OCI registries, as a Cloudflare Worker.
 * One request flows route -> screen -> (token | search | page | admit, then cache and registry proxy) -> response;
 * any RegistryError becomes OCI error JSON here. Cache writes finish after the response, through ctx.waitUntil.
 */
import { EdgeCache } from "./cache";
import { loadConfig, type Config, type Env } from "./config";
import { serveByDigest } from "./content";
import type { RequestContext, Trace } from "./context";
import { errorResponse, toRegistryError } from "./errors";
import { logEvent, logRequest } from "./log";
import { assertMirrorAccess, assertMirrorLogin, issueMirrorToken } from "./mirror-auth";
import { answerBlockedCrawler, answerBrowserPath } from "./pages/home";
import { assertRepositoryAllowed, isBlockedAgent, screenClient } from "./policy";
import { proxyBase, proxyRegistry } from "./proxy";
import { isDigest } from "./reference";
import { routeRequest, type Target } from "./route";
import { answerPing, proxySearch } from "./search";
import { serveByTag } from "./tags";
import { handleToken } from "./token";

export type { Env } from "./config";

/** Request kinds that are not the registry API, so carry no X-Cache. */
const NOT_REGISTRY = new Set<Target["kind"]>(["page", "token", "search", "ping"]);

/** The Worker. */
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const started = Date.now();
    const url = new URL(request.url);
    const trace: Trace = { upstreamMs: 0 };
    let target: Target | undefined;
    let response: Response;
    try {
      const config = loadConfig(env);
      target = routeRequest(request.method, url, config);
      if (target.kind === "page" && isBlockedAgent(request, config)) {
        response = await answerBlockedCrawler(request, config); // a crawler sees the decoy, never the guide
      } else {
        await screenClient(request, config);
        response = await dispatch(request, url, target, config, ctx, trace);
      }
    } catch (thrown) {
      const error = toRegistryError(thrown);
      if (error.status >= 500) console.error(JSON.stringify({ msg: "request failed", error: error.message, cause: String(error.cause ?? "") }));
      response = errorResponse(error, request.method);
    }
    // Every registry answer says what the cache did; an error that reached here came from upstream or input, not cache.
    if (target && !NOT_REGISTRY.has(target.kind) && !response.headers.has("x-cache")) {
      trace.cache ??= "MISS";
      response.headers.set("x-cache", trace.cache);
    }
    logRequest(request, url, target, response, trace, started);
    return response;
  },
} satisfies ExportedHandler<Env>;

async function dispatch(request: Request, url: URL, target: Target, config: Config, ctx: ExecutionContext, trace: Trace): Promise<Response> {
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
      return serveRegistry(requestContext(request, url, target, config, ctx, trace));
  }
}

function serveRegistry(cx: RequestContext): Promise<Response> {
  if (!cx.config.cacheEnabled) return cx.target.kind === "base" ? proxyBase(cx) : proxyRegistry(cx);
  switch (cx.target.kind) {
    case "blob":
      return serveByDigest(cx);
    case "manifest":
      return isDigest(cx.target.reference!) ? serveByDigest(cx) : serveByTag(cx);
    case "base":
      return proxyBase(cx);
    default:
      return proxyRegistry(cx);
  }
}

function requestContext(request: Request, url: URL, target: Target, config: Config, ctx: ExecutionContext, trace: Trace): RequestContext {
  const defer = (work: Promise<unknown>): void =>
    ctx.waitUntil(work.catch((error: unknown) => logEvent("warn", "background work failed", { error: error instanceof Error ? error.message : String(error) })));
  return { request, url, target, config, trace, defer, cache: new EdgeCache(url.origin, config.blobs, defer) };
}
