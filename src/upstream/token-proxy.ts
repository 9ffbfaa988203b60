/**
 * The Worker's `/token` endpoint (without mirror users): clients are told by rewritten challenges to fetch tokens
 * here, and each request goes to the realm of the registry it is for, through that registry's client (client.ts):
 * - which registry: `ns`, else the one the scopes' registry prefix names, else the host's route (routing/scope.ts);
 * - whose credentials: the client's, only when that registry is the one the host names (`docker login ghcr.<domain>`
 *   is a GHCR login, `docker login <domain>` a Docker Hub one). Otherwise the realm is asked anonymously, with the
 *   registry's own service and the scopes, whatever the client sent.
 * What the client sees of the answer is respond/token.ts's to shape.
 * Token auth spec: https://distribution.github.io/distribution/spec/auth/token/ (GET) and .../oauth/ (POST).
 */
import type { Config } from "../config/config";
import { readSmallForm } from "../core/body";
import { copyHeaders } from "../core/http";
import { errorMessage, logEvent } from "../core/log";
import { isRecord, parseJson } from "../core/parse";
import { isHostsRegistry } from "../routing/route";
import type { RoutedRequest } from "../routing/routed";
import { routeTokenRequest, scopesOf, splitScopes, type TokenRoute } from "../routing/scope";
import type { Target } from "../routing/target";
import { assertTokenParameters, TOKEN_QUERY } from "../routing/token-query";
import { chainOf, refusedForNow } from "./fallbacks";
import { placeholderAnswer } from "./placeholder";
import type { RealmAnswer } from "./realm";
import { clientFor, type UpstreamClient } from "./registry-client";
import { ANONYMOUS_REQUEST_HEADERS } from "./target-request";

/** Request headers a realm may see from the client whose registry it is: its credentials are the point of `docker login`. */
const TOKEN_REQUEST_HEADERS = ["authorization", "user-agent", "accept", "content-type"];

/** A realm's answer to a client's `/token`, and the target of the registry it came from (respond/ points it back). */
export interface RelayedToken {
  answer: RealmAnswer;
  target: Target;
}

/** Asks the realm of the registry a `/token` request (GET, or the OAuth2 POST form) is for. */
export async function relayToken(routed: RoutedRequest): Promise<RelayedToken> {
  const { request, url, config } = routed;
  assertTokenParameters(url.searchParams);
  const form = request.method === "POST" ? await readSmallForm(request) : undefined;
  if (form !== undefined) assertTokenParameters(form);
  const params = form ?? url.searchParams;
  const route = routeTokenRequest(scopesOf(params), routed.target, config);
  const target = { ...routed.target, upstream: route.upstream, via: route.via };
  const client = clientFor(route.upstream);
  const relay = isHostsRegistry(url, target, config)
    ? relayOwn(request, url, form, route, client, config)
    : relayAnonymously(request, params, route, client, config);
  const credentials = request.headers.has("authorization") || form?.has("password") || form?.has("refresh_token");
  if (credentials || chainOf(route.upstream, config).length === 0) return { answer: await relay, target };
  return { answer: await orPlaceholder(relay, route), target };
}

/**
 * For an anonymous client on a route with fallbacks: the placeholder (placeholder.ts) instead of the token service's
 * refusal for now, so the client asks for the image and the Worker's own request moves on to the chain.
 */
async function orPlaceholder(relay: Promise<RealmAnswer>, route: TokenRoute): Promise<RealmAnswer> {
  let outcome: RealmAnswer | { error: unknown };
  try {
    outcome = await relay;
  } catch (error) {
    outcome = { error };
  }
  if (!refusedForNow(outcome)) {
    if ("status" in outcome) return outcome;
    throw outcome.error;
  }
  logEvent("log", "token service refused, gave the placeholder", {
    route: route.upstream.name,
    ...("status" in outcome ? { status: outcome.status } : { error: errorMessage(outcome.error) }),
  });
  return placeholderAnswer();
}

/** The client's own request, credentials and all, with `ns` dropped and its scopes in the registry's naming. */
function relayOwn(
  request: Request,
  url: URL,
  form: URLSearchParams | undefined,
  route: TokenRoute,
  client: UpstreamClient,
  config: Config,
): Promise<RealmAnswer> {
  const headers = copyHeaders(request.headers, TOKEN_REQUEST_HEADERS);
  const query = rewriteScopes(url.searchParams, route, TOKEN_QUERY);
  if (form === undefined) return client.relay({ method: "GET", headers }, query, config);
  headers.set("content-type", "application/x-www-form-urlencoded");
  return client.relay({ method: "POST", headers, body: rewriteScopes(form, route).toString() }, query, config);
}

/**
 * An anonymous GET for the same scopes, for a registry the host does not name: whatever credentials the client sent
 * are for another registry. A client that asked with the OAuth2 POST gets the token under `access_token` too.
 */
async function relayAnonymously(
  request: Request,
  params: URLSearchParams,
  route: TokenRoute,
  client: UpstreamClient,
  config: Config,
): Promise<RealmAnswer> {
  const scheme = await client.schemeOf(config);
  const query = new URLSearchParams();
  if (scheme.kind === "bearer" && scheme.service !== undefined) query.set("service", scheme.service);
  for (const scope of scopesOf(params)) query.append("scope", route.rewrite(scope));
  const answer = await client.relay(
    { method: "GET", headers: copyHeaders(request.headers, ANONYMOUS_REQUEST_HEADERS) },
    query,
    config,
  );
  return request.method === "POST" ? withAccessToken(answer) : answer;
}

/** The parameters with every scope (several to a value, space-separated, in the OAuth2 form) rewritten, `ns` dropped, and with `only`, every name not in it. */
function rewriteScopes(params: URLSearchParams, route: TokenRoute, only?: readonly string[]): URLSearchParams {
  const rewritten = new URLSearchParams();
  for (const [name, value] of params) {
    if (name !== "ns" && (only === undefined || only.includes(name)))
      rewritten.append(name, name === "scope" ? splitScopes(value).map(route.rewrite).join(" ") : value);
  }
  return rewritten;
}

/** An OAuth2 client reads `access_token`; a GET answer may carry only `token`. */
function withAccessToken(answer: RealmAnswer): RealmAnswer {
  const value = parseJson(answer.body);
  if (!isRecord(value) || typeof value.token !== "string" || value.access_token !== undefined) return answer;
  return { ...answer, body: new TextEncoder().encode(JSON.stringify({ ...value, access_token: value.token })) };
}
