/**
 * Each isolate adds its requests up in memory and writes them to the store in one call at most every 10 s (sooner
 * only when a batch grows past a threshold), in ctx.waitUntil after the response: counting costs a request a few map
 * updates, and a store that fails or hangs costs nothing but one log line and that batch.
 */
import type { StatsConfig } from "../config/stats";
import { isolate } from "../core/isolate";
import { errorMessage, logEvent } from "../core/log";
import type { RequestLine } from "../respond/request-log";
import { sendBatch } from "./client";
import { addLine, type Batch, emptyCounts, type HourCounts, hourOf, isPull } from "./counts";

/** At most one store request per isolate per this long. */
export const FLUSH_INTERVAL_MS = 10_000;
/** A batch this large goes at once, so an isolate's memory stays small whatever the traffic. */
const FLUSH_THRESHOLD = 500;
/** The owner's page itself is not counted. */
export const STATS_PATH = "/stats";

/** An isolate's counts not yet written, and its flush state. */
interface Pending {
  hours: Map<number, HourCounts>;
  /** `hour \n route \n repository` -> pulls. */
  pulls: Map<string, number>;
  size: number;
  /** A flush is waiting for its time (in some request's waitUntil). */
  scheduled: boolean;
  /** Ends the scheduled flush's wait early (a read of `/stats` flushes at once). */
  wake?: () => void;
  /** The flush being sent, so flushes go one at a time and never send a count twice. */
  sending?: Promise<void>;
}

const tallies = isolate.memory<"pending", Pending>("stats tally", 1);

function pendingCounts(): Pending {
  let pending = tallies.get("pending");
  if (!pending) {
    pending = { hours: new Map(), pulls: new Map(), size: 0, scheduled: false };
    tallies.set("pending", pending);
  }
  return pending;
}

/** Counts one request, and makes sure a flush will write it within FLUSH_INTERVAL_MS. */
export function countRequest(line: RequestLine, stats: StatsConfig, ctx: ExecutionContext): void {
  if (line.path === STATS_PATH) return;
  const pending = pendingCounts();
  const hour = hourOf(Date.now());
  let counts = pending.hours.get(hour);
  if (!counts) {
    counts = emptyCounts();
    pending.hours.set(hour, counts);
  }
  addLine(counts, line);
  if (isPull(line) && line.route !== undefined && line.repository !== undefined) {
    const key = `${hour}\n${line.route}\n${line.repository}`;
    pending.pulls.set(key, (pending.pulls.get(key) ?? 0) + 1);
  }
  pending.size += 1;
  if (pending.size >= FLUSH_THRESHOLD && pending.sending === undefined) ctx.waitUntil(flushCounts(stats));
  else if (!pending.scheduled) {
    pending.scheduled = true;
    ctx.waitUntil(flushWhenDue(stats, pending));
  }
}

/**
 * Waits FLUSH_INTERVAL_MS from the first count after a flush (or until something wakes it), then flushes: a pull's
 * burst of requests goes in one store request, and flushes of one isolate are at least that far apart.
 */
async function flushWhenDue(stats: StatsConfig, pending: Pending): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, FLUSH_INTERVAL_MS);
    pending.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  pending.scheduled = false;
  delete pending.wake;
  await flushCounts(stats);
}

/** Writes what this isolate has counted so far; never throws (a failure is logged and that batch dropped). */
export async function flushCounts(stats: StatsConfig): Promise<void> {
  const pending = pendingCounts();
  pending.wake?.();
  while (pending.sending) await pending.sending;
  const batch = takeBatch(pending);
  if (!batch) return;
  const sending = sendBatch(stats, batch).catch((error: unknown) => {
    // Resending could count twice (a timed-out write may have landed); statistics may lose a batch, never inflate.
    const requests = batch.hours.reduce((sum, h) => sum + h.counts.requests, 0);
    logEvent("warn", "stats flush failed", { error: errorMessage(error), requests });
  });
  pending.sending = sending;
  await sending;
  if (pending.sending === sending) delete pending.sending;
}

/** Moves the pending counts into a batch, leaving the isolate's tally empty. */
function takeBatch(pending: Pending): Batch | undefined {
  if (pending.size === 0) return undefined;
  const batch: Batch = {
    hours: [...pending.hours].map(([hour, counts]) => ({ hour, counts })),
    pulls: [...pending.pulls].map(([key, pulls]) => {
      const [hour = "0", route = "", repository = ""] = key.split("\n");
      return { hour: Number(hour), route, repository, pulls };
    }),
  };
  pending.hours = new Map();
  pending.pulls = new Map();
  pending.size = 0;
  return batch;
}
