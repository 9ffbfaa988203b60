/**
 * The Worker's CPU per request with the owner's statistics off and on (STATS_TOKEN set, the STATS Durable Object from
 * wrangler.toml): the same cached tag GET on two Workers, alternating rounds, each round's window long enough (over
 * the 10 s flush interval) that it holds the store writes its own requests caused.
 */
import type { RunningWorker } from "../test/e2e/support/worker";

type Start = (options?: { vars?: Record<string, string> }) => Promise<RunningWorker>;
type Ask = (worker: RunningWorker, method: string, path: string) => Promise<number>;
type CpuOf = (worker: RunningWorker, work: () => Promise<void>, settleMs?: number) => Promise<number>;

const REPEAT = Number(process.env.BENCH_STATS_REPEAT ?? 1000);
const ROUNDS = Number(process.env.BENCH_STATS_ROUNDS ?? 3);
/** Past the 10 s flush interval, so a round's window holds its own flush. */
const FLUSH_SETTLE_MS = 11_000;
const OWNER_TOKEN = "bench-owner-token-0123456789";

/** Milliseconds of CPU per request, statistics off and on, over REPEAT × ROUNDS requests each. */
export async function measureStatsCpu(
  start: Start,
  ask: Ask,
  cpuOf: CpuOf,
  path: string,
): Promise<{ off: number; on: number; requests: number; counted: number }> {
  const off = await start();
  const on = await start({ vars: { STATS_TOKEN: OWNER_TOKEN } });
  for (const worker of [off, on]) for (let i = 0; i < 20; i++) await ask(worker, "GET", path);
  const total = { off: 0, on: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, worker] of [
      ["off", off],
      ["on", on],
    ] as const) {
      total[name] += await cpuOf(
        worker,
        async () => {
          for (let i = 0; i < REPEAT; i++) await ask(worker, "GET", path);
        },
        FLUSH_SETTLE_MS,
      );
    }
  }
  const requests = REPEAT * ROUNDS;
  // What the statistics counted, to show they were on: the measured requests plus the warm-up.
  const response = await fetch(`${on.origin}/stats`, {
    headers: { authorization: `Bearer ${OWNER_TOKEN}`, accept: "application/json" },
  });
  if (!response.ok) throw new Error(`/stats: ${response.status}`);
  const counted = ((await response.json()) as { requests: number }).requests;
  return { off: total.off / requests, on: total.on / requests, requests, counted };
}
