/**
 * The one typed Env: every binding edgehub reads. All optional; wrangler.toml and README document them, and secrets
 * come from `wrangler secret put`. Nothing here is parsed: config.ts does that once per isolate.
 */

/** The bindings edgehub reads. Every one is optional; wrangler.toml and README document them. */
export interface Env {
  /** The mirror's own domain, written by `npm run setup`; empty on workers.dev. Names the cache's canonical origin too. */
  MIRROR_HOST?: string;
  /** Comma-separated host names that each serve the route their first label names, written by `npm run setup`. */
  MIRROR_SUBDOMAINS?: string;
  /** JSON object, route name -> {"registry": URL, "realm"?: URL, "index"?: URL, "hosts"?: [names], "realmHosts"?: [hosts]}, merged over the built-in table. */
  UPSTREAMS?: string;
  /** Seconds to wait for an upstream's response headers before answering 504 (default 30). */
  UPSTREAM_TIMEOUT_SECONDS?: string;
  /** What browsers see at `/` and other non-registry paths: guide (default), nginx, redirect:<https URL>, none. */
  HOME_PAGE?: string;
  /** Seconds a tag's manifest is served from cache before an upstream HEAD revalidates it (default 300; 0 always asks). */
  TAG_TTL_SECONDS?: string;
  /** "on" (default) or "off": off, every request goes to the upstream and nothing is stored. */
  CACHE?: string;
  /** Optional R2 bucket holding blobs and manifests by digest for every data centre, at any size. */
  BLOBS?: R2Bucket;
  /** Seconds an upstream body may send nothing before the client's response is failed (default 0: not watched). */
  UPSTREAM_IDLE_TIMEOUT_SECONDS?: string;
  /** Milliseconds of CPU a request may spend filling the cache (default 10, the free plan's limit per request). */
  CACHE_CPU_BUDGET_MS?: string;

  // Access control and upstream credentials (config/access.ts parses them).
  /** Docker Hub account and personal access token the Worker pulls with (secrets). */
  DOCKERHUB_USERNAME?: string;
  DOCKERHUB_TOKEN?: string;
  /** JSON secret, route -> {"username", "password"}: credentials for any route. */
  UPSTREAM_CREDENTIALS?: string;
  /** "true": anonymous clients of a mirror without users pull with the upstream credentials on any repository. */
  SHARE_UPSTREAM_CREDENTIALS?: string;
  /** JSON, route -> registry URL that serves the same images, tried once when the route's upstream answers 429. */
  UPSTREAM_FALLBACKS?: string;
  /** Secret list of user:password pairs that may `docker login` to the mirror. */
  MIRROR_USERS?: string;
  /** Secret HMAC key that signs the mirror's tokens. */
  MIRROR_TOKEN_SECRET?: string;
  /** JSON, route -> [glob]: when set, only matching repositories of listed routes are served. */
  ALLOWED_REPOSITORIES?: string;
  /** JSON, route -> [glob]: matching repositories are refused. */
  DENIED_REPOSITORIES?: string;
  /** Comma-separated User-Agent substrings (case-insensitive) that are refused. */
  BLOCKED_USER_AGENTS?: string;
  /** A Rate Limiting binding ([[ratelimits]] in wrangler.toml), keyed per client. */
  RATE_LIMITER?: RateLimit;
  /** The `StatsStore` Durable Object namespace that keeps the owner's statistics (docs/stats.md). */
  STATS?: DurableObjectNamespace;
  /** Secret that opens `/stats`; statistics are off without it. */
  STATS_TOKEN?: string;
}
