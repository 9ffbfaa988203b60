// The bindings the test runtime gives `env`: edgehub's own Env (the [vars] of wrangler.toml, the R2 bucket that
// vitest.config.ts binds), so a variable added to the Worker is known to the tests without copying it here.
type EdgehubEnv = import("../../../src/config/env").Env;
declare namespace Cloudflare {
  interface Env extends EdgehubEnv {}
}

// Text files the tests import whole (vite's ?raw): docs/operating.md's documented queries.
declare module "*?raw" {
  const text: string;
  export default text;
}
