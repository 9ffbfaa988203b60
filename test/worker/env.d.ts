// The bindings the test runtime gives `env`: the [vars] of wrangler.toml, and the R2 bucket vitest.config.ts binds.
declare namespace Cloudflare {
  interface Env {
    UPSTREAMS: string;
    UPSTREAM_TIMEOUT_SECONDS: string;
    HOME_PAGE: string;
    ALLOWED_REPOSITORIES: string;
    DENIED_REPOSITORIES: string;
    BLOCKED_USER_AGENTS: string;
    UPSTREAM_FALLBACKS: string;
    SHARE_UPSTREAM_CREDENTIALS: string;
    TAG_TTL_SECONDS: string;
    CACHE: string;
    BLOBS: R2Bucket;
    UPSTREAM_IDLE_TIMEOUT_SECONDS: string;
  }
}
