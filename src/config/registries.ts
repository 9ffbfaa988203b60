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
  /** Token endpoint, when known ahead of time; otherwise learned from the registry's `/v2/` challenge. */
  realm?: string;
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

/** Route name to upstream, as shipped. `UPSTREAMS` merges over it. */
export const BUILTIN_UPSTREAMS: readonly Upstream[] = [
  {
    name: "docker",
    registry: "https://registry-1.docker.io",
    realm: "https://auth.docker.io/token",
    hosts: ["docker.io", "registry-1.docker.io", "index.docker.io", "registry.hub.docker.com"],
    ...REGISTRY_QUIRKS["registry-1.docker.io"],
  },
  { name: "quay", registry: "https://quay.io", hosts: ["quay.io"] },
  { name: "gcr", registry: "https://gcr.io", hosts: ["gcr.io"] },
  { name: "k8s-gcr", registry: "https://k8s.gcr.io", hosts: ["k8s.gcr.io"] },
  { name: "k8s", registry: "https://registry.k8s.io", hosts: ["registry.k8s.io"] },
  { name: "ghcr", registry: "https://ghcr.io", hosts: ["ghcr.io"] },
  { name: "cloudsmith", registry: "https://docker.cloudsmith.io", hosts: ["docker.cloudsmith.io"] },
  { name: "nvcr", registry: "https://nvcr.io", hosts: ["nvcr.io"] },
  { name: "mcr", registry: "https://mcr.microsoft.com", hosts: ["mcr.microsoft.com"] },
  { name: "elastic", registry: "https://docker.elastic.co", hosts: ["docker.elastic.co"] },
  { name: "ecr", registry: "https://public.ecr.aws", hosts: ["public.ecr.aws"] },
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
 * The registry an upstream is (`registry-1.docker.io`, `ghcr.io`): the host of its registry URL, lower case. Quirks
 * follow it, never a route name, so any route to a registry behaves as that registry does.
 */
export function registryIdentity(upstream: Pick<Upstream, "registry">): string {
  return new URL(upstream.registry).host.toLowerCase();
}

/** The quirks of the registry an upstream points at (none for most). */
export function registryQuirks(upstream: Pick<Upstream, "registry">): RegistryQuirks {
  return REGISTRY_QUIRKS[registryIdentity(upstream)] ?? {};
}
