/**
 * What the /stats tests share: the owner's token, a STATS namespace that gives each test its own object (so no test
 * sees another's counts), stores that fail or hang, and a way to wait for the Worker's background work without
 * waiting out the 10 s flush interval.
 */
import { env } from "cloudflare:test";
import type { StatsConfig } from "../../../src/config/stats";
import type { Summary } from "../../../src/stats/counts";
import { flushCounts } from "../../../src/stats/tally";
import { callWorker, settled } from "../support/fake-upstream";

export const TOKEN = "owner-token-0123456789-abcdefghij";
export const OWNER = { authorization: `Bearer ${TOKEN}` };

/** The real STATS namespace, but every call reaches this test's own object; `calls` counts the store requests. */
export function ownStore(name = crypto.randomUUID()) {
  const real = env.STATS;
  if (!real) throw new Error("wrangler.toml binds no STATS namespace");
  const calls: string[] = [];
  const namespace = {
    idFromName: () => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = real.get(id) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      return new Proxy(stub, {
        get: (target, method: string) => {
          const real = target[method];
          return typeof real === "function"
            ? (...args: unknown[]) => {
                calls.push(method);
                // Reflect: `.apply` on an RPC method would be a remote property of that name.
                return Reflect.apply(real, target, args);
              }
            : real;
        },
      });
    },
  } as unknown as DurableObjectNamespace;
  return {
    namespace,
    calls,
    stub: () => real.get(real.idFromName(name)),
    vars: { STATS: namespace, STATS_TOKEN: TOKEN },
  };
}

/** A STATS namespace whose store throws, or never answers. */
export function brokenStore(mode: "throws" | "hangs"): DurableObjectNamespace {
  const fail = () => {
    if (mode === "throws") throw new Error("binding failed");
    return new Promise<never>(() => {});
  };
  return {
    idFromName: () => ({}) as DurableObjectId,
    get: () => ({ add: fail, read: fail }),
  } as unknown as DurableObjectNamespace;
}

/** Lets the Worker's background work finish: the pending counts are flushed now instead of in 10 s. */
export async function settle(vars: { STATS: DurableObjectNamespace; STATS_TOKEN: string }): Promise<void> {
  const stats: StatsConfig = { store: vars.STATS, token: vars.STATS_TOKEN };
  await flushCounts(stats);
  await settled();
}

/** GET /stats as the owner, as JSON. */
export async function readStats(vars: Record<string, unknown>): Promise<Summary> {
  const response = await callWorker(
    "https://mirror.example.org/stats",
    {
      headers: { ...OWNER, accept: "application/json" },
    },
    vars,
  );
  if (response.status !== 200) throw new Error(`/stats answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Summary;
}
