/**
 * The mirror as a visitor at this URL should use it: the host to paste into client configuration, and every route of
 * the live configuration (built-in table plus `UPSTREAMS`) with the names that select it. The guide and the JSON
 * description are both drawn from this, so they never disagree.
 */
import type { Config } from "../config/config";
import { canonicalHost, registryIdentity } from "../config/registries";
import { type RateLimitSeen, rateLimitSeen } from "../upstream/quota";

/** One route as clients reach it. */
export interface SiteRoute {
  /** Route name, which is also its subdomain label. */
  name: string;
  /** The registry's canonical host (`ghcr.io`). */
  registry: string;
  /** Every host that selects the route as a path prefix or as containerd's `?ns=`. */
  hosts: string[];
  /** `ghcr.example.com`, when MIRROR_SUBDOMAINS gives the route a host of its own. */
  subdomain?: string;
  /** The route that serves names without a registry prefix (Docker Hub). */
  isDefault: boolean;
  /** `docker search` works for it (the route has an index). */
  searchable: boolean;
  /** Hosts of the registries asked, in order, when the route's own refuses for now (UPSTREAM_FALLBACKS). */
  fallbacks: string[];
  /** The rate-limit values the route's registry last sent this isolate, and whose quota they count. */
  rateLimit?: RateLimitSeen;
}

/** What the guide needs to know about this deployment. */
export interface Site {
  /** `host[:port]` that serves Docker Hub and the path-prefix routes: what users paste. */
  host: string;
  /** `https://host[:port]`. */
  origin: string;
  /** Whether clients reach it over TLS; plain HTTP needs `insecure` settings in some clients. */
  secure: boolean;
  /** Clients must `docker login` first (mirror users are configured). */
  login: boolean;
  routes: SiteRoute[];
}

/**
 * Describes the mirror for a request to `url`. Subdomain forms are offered only for the host names MIRROR_SUBDOMAINS
 * lists (written by `npm run setup` with their DNS records and certificates): on workers.dev, or anywhere else without
 * them, every registry but Docker Hub is offered by path prefix alone. A visit to a route's own subdomain still gets
 * snippets for the mirror's domain, because a Docker Hub mirror pasted as `ghcr.example.com` would pull from ghcr.io.
 */
export function describeSite(url: URL, config: Config): Site {
  const hostname = url.hostname.toLowerCase();
  const port = url.port ? `:${url.port}` : "";
  const visited = [...config.subdomains].find(([, host]) => host === hostname)?.[0];
  const onRouteHost = visited !== undefined && visited !== config.defaultUpstream.name;
  const host = `${onRouteHost ? (config.mirrorHost ?? hostname) : hostname}${port}`;
  const routes = [...config.upstreams.values()].map((upstream): SiteRoute => {
    const route: SiteRoute = {
      name: upstream.name,
      registry: canonicalHost(upstream),
      hosts: [...upstream.hosts],
      isDefault: upstream === config.defaultUpstream,
      searchable: upstream.index !== undefined,
      fallbacks: (config.access.fallbacks.get(registryIdentity(upstream)) ?? []).map((origin) => new URL(origin).host),
    };
    const rateLimit = rateLimitSeen(upstream.name);
    if (rateLimit) route.rateLimit = rateLimit;
    const subdomain = config.subdomains.get(upstream.name);
    if (subdomain) route.subdomain = `${subdomain}${port}`;
    return route;
  });
  return {
    host,
    origin: `${url.protocol}//${host}`,
    secure: url.protocol === "https:",
    login: config.mirrorLogin,
    routes,
  };
}

/**
 * The JSON an API client gets at `/`: what this mirror serves, the public registries it falls back to, and the quota
 * its upstream last stated; nothing else about where it fetches from (an UPSTREAMS registry may be internal).
 */
export function describeJson(site: Site, version: string): string {
  return JSON.stringify({
    name: "edgehub",
    version,
    description: "pull-through mirror of Docker Hub and other OCI registries",
    mirror: site.origin,
    login: site.login,
    routes: site.routes.map((r) => ({
      route: r.name,
      registry: r.registry,
      hosts: r.hosts,
      prefix: `${site.host}/${r.registry}/`,
      ...(r.subdomain ? { subdomain: r.subdomain } : {}),
      ...(r.isDefault ? { default: true } : {}),
      ...(r.searchable ? { search: true } : {}),
      fallbacks: r.fallbacks,
      ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}),
    })),
  });
}
