/**
 * The one typed Env: every binding edgehub reads, named by config/variables.ts (which describes each one). All
 * optional; secrets come from `wrangler secret put`. Nothing here is parsed: config.ts does that once per isolate.
 */
import type { VariableName } from "./variables";

/** The bindings edgehub reads: a string for each variable and secret, and the resource bindings. */
export type Env = { [Name in VariableName<"var" | "secret">]?: string } & {
  BLOBS?: R2Bucket;
  RATE_LIMITER?: RateLimit;
  STATS?: DurableObjectNamespace;
};
