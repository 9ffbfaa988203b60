/**
 * The owner's statistics (docs/stats.md): on only when both the Durable Object binding `STATS` and the secret
 * `STATS_TOKEN` are there. Without either, nothing is counted and `/stats` is any other unknown path.
 */
import type { Env } from "./env";

/** Where the counts are kept, and the token that shows them. */
export interface StatsConfig {
  /** The `StatsStore` Durable Object namespace (binding `STATS`). */
  store: DurableObjectNamespace;
  /** The secret `STATS_TOKEN`, trimmed. */
  token: string;
}

/** The statistics configuration, or undefined when the binding or the token is missing. */
export function parseStats(env: Env): StatsConfig | undefined {
  const token = (env.STATS_TOKEN ?? "").trim();
  if (!env.STATS || token === "") return undefined;
  return { store: env.STATS, token };
}
