// The bindings the test runtime gives `env`: the [vars] of wrangler.toml.
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
  }
}
