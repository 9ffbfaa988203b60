/**
 * Token scopes and the one rule that routes and rewrites them. A scope's repository is read like a request path on
 * the token request's route: a leading registry host picks that registry and is dropped, Docker Hub's `library/` is
 * added, and the rest belongs to the route. Clients write the registry prefix into scopes whenever the image was named
 * with it (skopeo and podman reuse the bare host's realm for every repository), so `/token` routes by it too. On an
 * `ns` route the registry is fixed: a prefix naming it is dropped (docker writes it there too), any other name is
 * the registry's own (`ns=ghcr.io`, `docker.io/x` is a GHCR repository, as the upstream's challenge named it).
 * Scope grammar: https://distribution.github.io/distribution/spec/auth/scope/
 */
import type { Config } from "../config/config";
import { canonicalHost, registryIdentity, type Upstream } from "../config/registries";
import { RegistryError } from "../core/errors";
import { startsWithOwnHost } from "./reference";
import { resolveName } from "./route";
import type { RouteVia } from "./target";

const REPOSITORY_SCOPE = /^(repository(?:\([a-z0-9]+\))?):(.+):([a-z*,]*)$/;

/**
 * Every scope in a token request's `scope` parameters: each value may hold several, space-separated (the OAuth2
 * form); empty ones (doubled or trailing spaces) are dropped.
 */
export function scopesOf(params: URLSearchParams): string[] {
  return params.getAll("scope").flatMap(splitScopes);
}

/** The scopes in one space-separated `scope` value, empty ones dropped. */
export function splitScopes(value: string): string[] {
  return value.split(" ").filter((scope) => scope !== "");
}

/** A repository scope, routed: the upstream it names, the repository as that upstream names it, and its actions. */
export interface RoutedScope {
  upstream: Upstream;
  repository: string;
  /** The name as the scope gave it. */
  name: string;
  /** `repository` or `repository(plugin)`. */
  type: string;
  actions: string;
}

/** A route as routing chose it. */
export interface ScopeRoute {
  upstream: Upstream;
  via: RouteVia;
}

/** Where one scope's repository is, read on `route`; undefined for other scopes (`registry:catalog:*`) and invalid names. */
export function routeScope(scope: string, route: ScopeRoute, config: Config): RoutedScope | undefined {
  const match = REPOSITORY_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, type, name, actions] = match as unknown as [string, string, string, string];
  try {
    const own =
      route.via === "ns" && startsWithOwnHost(name, route.upstream) ? name.slice(name.indexOf("/") + 1) : name;
    const named = resolveName(own, route.upstream, route.via, config);
    return { upstream: named.upstream, repository: named.repository, name, type, actions };
  } catch {
    return undefined; // not a name any pull could use: left as it is, for the realm to refuse
  }
}

/** A scope in the upstream's naming. */
export function formatScope(scope: RoutedScope): string {
  return `${scope.type}:${scope.repository}:${scope.actions}`;
}

/** A token request's registry, and the rule that puts its scopes into that registry's naming. */
export interface TokenRoute extends ScopeRoute {
  /** A scope of this registry in its naming; any other scope (another type, an invalid name) as it was. */
  rewrite(scope: string): string;
}

/**
 * A token request's registry: `ns` when given, else the registry the scopes' prefixes name, else the host's route.
 * Scopes naming two registries cannot share one token: 400.
 */
export function routeTokenRequest(scopes: string[], route: ScopeRoute, config: Config): TokenRoute {
  let chosen: ScopeRoute | undefined = route.via === "ns" ? route : undefined;
  for (const named of scopes.map((scope) => routeScope(scope, route, config))) {
    if (!named) continue;
    if (chosen === undefined) {
      const same = registryIdentity(named.upstream) === registryIdentity(route.upstream);
      chosen = same ? route : { upstream: named.upstream, via: "prefix" };
    } else if (registryIdentity(named.upstream) !== registryIdentity(chosen.upstream)) {
      const registries = [canonicalHost(chosen.upstream), canonicalHost(named.upstream)];
      throw new RegistryError(
        "UNSUPPORTED",
        `one token request may name repositories of one registry only, not ${registries.join(" and ")}`,
        {
          status: 400,
          detail: { registries },
        },
      );
    }
  }
  const { upstream, via } = chosen ?? route;
  const identity = registryIdentity(upstream);
  const rewrite = (scope: string): string => {
    const named = routeScope(scope, route, config);
    return named && registryIdentity(named.upstream) === identity ? formatScope(named) : scope;
  };
  return { upstream, via, rewrite };
}
