/**
 * The built-in upstream table. Docker Hub's quirks (the `library/` namespace, its search index) are data here, keyed
 * by the registry rather than the route, and applied by one normalisation function below, not special cases
 * scattered through the code.
 */

/** One registry edgehub can proxy. */
export interface Upstream {
  /** Route name: the subdomain label that selects it (`docker`, `ghcr`). */
  name: string;
  /** Base URL of the registry API, without `/v2/`. */
  registry: string;
  /** Token endpoint, when known ahead of time; otherwise learned from the registry's own `/v2/` 401 and pinned. */
  realm?: string;
  /**
   * Hosts whose token service may receive the owner's credentials for this registry, besides the registry's own host
   * and a configured realm's (distribution's `realmAllowed`): a token service may sit on another domain.
   */
  realmHosts?: string[];
  /** Registry host names that select this upstream as a path prefix or as containerd's `?ns=`. The first is canonical. */
  hosts: string[];
  /** Docker Hub: one-component names are official images under `library/`. */
  officialNamespace?: string;
  /** Base URL of the v1 search API that `docker search` reaches through this route (Docker Hub's index). */
  index?: string;
}

/** What a registry does unlike the others. */
export type RegistryQuirks = Pick<Upstream, "officialNamespace" | "index">;

/** Registry identity -> its quirks, so every route to Docker Hub (built in or added with UPSTREAMS) behaves alike. */
const REGISTRY_QUIRKS: Readonly<Record<string, RegistryQuirks>> = {
  "registry-1.docker.io": { officialNamespace: "library", index: "https://index.docker.io" },
};

/** Docker Hub as shipped, the default route. */
const DOCKER_HUB: Upstream = {
  name: "docker",
  registry: "https://registry-1.docker.io",
  realm: "https://auth.docker.io/token",
  realmHosts: ["auth.docker.io"],
  hosts: ["docker.io", "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com"],
  ...REGISTRY_QUIRKS["registry-1.docker.io"],
};

/** Route name to upstream, as shipped. `UPSTREAMS` merges over it. */
export const BUILTIN_UPSTREAMS: readonly Upstream[] = [
  DOCKER_HUB,
  // Realms as each registry's /v2/ names them: quay.io/v2/auth, gcr.io/v2/token, ghcr.io/token, nvcr.io/proxy_auth,
  // public.ecr.aws/token/, docker.cloudsmith.io/v2/token; Elastic's sits on docker-auth.elastic.co/auth.
  { name: "quay", registry: "https://quay.io", realmHosts: ["quay.io"], hosts: ["quay.io"] },
  { name: "gcr", registry: "https://gcr.io", realmHosts: ["gcr.io"], hosts: ["gcr.io"] },
  { name: "k8s-gcr", registry: "https://k8s.gcr.io", realmHosts: ["k8s.gcr.io"], hosts: ["k8s.gcr.io"] },
  // registry.k8s.io authenticates nobody: it redirects to Artifact Registry (*-docker.pkg.dev), whose redirect-target
  // challenges get anonymous tokens only, so no owner credentials ever have a realm there.
  { name: "k8s", registry: "https://registry.k8s.io", realmHosts: [], hosts: ["registry.k8s.io"] },
  { name: "ghcr", registry: "https://ghcr.io", realmHosts: ["ghcr.io"], hosts: ["ghcr.io"] },
  {
    name: "cloudsmith",
    registry: "https://docker.cloudsmith.io",
    realmHosts: ["docker.cloudsmith.io"],
    hosts: ["docker.cloudsmith.io"],
  },
  { name: "nvcr", registry: "https://nvcr.io", realmHosts: ["nvcr.io"], hosts: ["nvcr.io"] },
  // MCR serves everything anonymously: no token service at all.
  { name: "mcr", registry: "https://mcr.microsoft.com", realmHosts: [], hosts: ["mcr.microsoft.com"] },
  {
    name: "elastic",
    registry: "https://docker.elastic.co",
    realmHosts: ["docker-auth.elastic.co"],
    hosts: ["docker.elastic.co"],
  },
  { name: "ecr", registry: "https://public.ecr.aws", realmHosts: ["public.ecr.aws"], hosts: ["public.ecr.aws"] },
];

/** The route that serves hostnames whose first label names no upstream (the bare domain, `localhost`). */
export const DEFAULT_ROUTE = "docker";

/** The upstream's name for a client's repository: Docker Hub's official images live under `library/`. */
export function normalizeRepository(upstream: Upstream, name: string): string {
  if (upstream.officialNamespace && !name.includes("/")) return `${upstream.officialNamespace}/${name}`;
  return name;
}

/** The host name a registry is known by (`docker.io`, `ghcr.io`): the first of its hosts. */
export function canonicalHost(upstream: Upstream): string {
  return upstream.hosts[0] ?? new URL(upstream.registry).host;
}

/**
 * The registry an upstream is (`registry-1.docker.io`, `ghcr.io`): the host of its registry URL, lower case. Quirks,
 * owner credentials, fallbacks, mirror-token grants and cache keys follow it, never a route name, so any route to a
 * registry behaves as that registry does, and a route pointed elsewhere takes none of them along.
 */
export function registryIdentity(upstream: Pick<Upstream, "registry">): string {
  return new URL(upstream.registry).host.toLowerCase();
}

/** The quirks of the registry an upstream points at (none for most). */
export function registryQuirks(upstream: Pick<Upstream, "registry">): RegistryQuirks {
  return REGISTRY_QUIRKS[registryIdentity(upstream)] ?? {};
}

/** Docker Hub's identity as shipped: DOCKERHUB_USERNAME and DOCKERHUB_TOKEN belong to it, whatever route serves it. */
export const DOCKER_HUB_IDENTITY = registryIdentity(DOCKER_HUB);

/**
 * Whether a token realm may receive the owner's credentials for this upstream: its host is the registry's own, the
 * configured realm's, or one listed in `realmHosts`. Anything else a challenge names gets no credentials.
 */
export function realmAllowed(upstream: Pick<Upstream, "registry" | "realm" | "realmHosts">, realm: string): boolean {
  const host = new URL(realm).host.toLowerCase();
  if (host === registryIdentity(upstream)) return true;
  if (upstream.realm !== undefined && host === new URL(upstream.realm).host.toLowerCase()) return true;
  return (upstream.realmHosts ?? []).some((allowed) => allowed.toLowerCase() === host);
}
