// The bindings the test runtime gives `env`: the [vars] of wrangler.toml.
declare namespace Cloudflare {
  interface Env {
    UPSTREAMS: string;
    UPSTREAM_TIMEOUT_SECONDS: string;
    UPSTREAM_IDLE_TIMEOUT_SECONDS: string;
  }
}
