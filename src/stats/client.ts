/**
 * The Worker's side of the `StatsStore` Durable Object: one object for the whole mirror, reached by RPC, every call
 * bounded in time so a slow or failing store never holds a request. The store is not reachable from the internet.
 */
import type { StatsConfig } from "../config/stats";
import { withBound } from "../core/bound";
import type { Batch, Summary } from "./counts";

/** The one object's name: every isolate writes to, and `/stats` reads from, the same one. */
const OBJECT_NAME = "edgehub";
/** A flush is background work; this long is plenty for one small SQLite write, and short of waitUntil's 30 s. */
export const STORE_TIMEOUT_MS = 3_000;

/** The store's RPC methods (store.ts implements them). */
interface StatsRpc {
  add(batch: Batch): Promise<void>;
  read(now: number): Promise<Summary>;
}

const TIMED_OUT = Symbol("timed out");

/** Calls the store; throws when the binding throws, the call fails, or it takes longer than STORE_TIMEOUT_MS. */
async function callStore<T>(stats: StatsConfig, call: (store: StatsRpc) => Promise<T>): Promise<T> {
  const namespace = stats.store;
  // The binding is declared without its class (config/ comes before stats/), so the stub is typed here.
  const stub = namespace.get(namespace.idFromName(OBJECT_NAME)) as unknown as StatsRpc;
  const result = await withBound(call(stub), STORE_TIMEOUT_MS, TIMED_OUT);
  if (result === TIMED_OUT) throw new Error(`the stats store did not answer in ${STORE_TIMEOUT_MS} ms`);
  return result;
}

/** Adds a batch of counts to the store. */
export function sendBatch(stats: StatsConfig, batch: Batch): Promise<void> {
  return callStore(stats, (store) => store.add(batch));
}

/** The totals as the store holds them now. */
export function readSummary(stats: StatsConfig, now: number): Promise<Summary> {
  return callStore(stats, (store) => store.read(now));
}
