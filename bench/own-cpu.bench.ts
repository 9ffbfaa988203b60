/**
 * Validates bench/own-cpu.ts (the Worker's own CPU from v8::Locker uprobes) on a Worker of known cost, before the
 * mirror benchmark trusts it. The known cost: bench/known-cost/worker.js runs a loop of N steps; the cost of one step
 * comes from the process CPU of long runs (20 M steps, about 90 ms each), where everything else workerd does per
 * request is negligible. Short runs (about 0.5, 2 and 9 ms) must then measure, as own CPU less a no-op request's,
 * within ±15% of N steps' known cost (medians of rounds: the machine is shared). Writes bench/results/own-cpu.md.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { startKnownCostWorker } from "./known-cost";
import { prepareProbes, recordIsolates, workerIsolate } from "./own-cpu";
import { fixed, Report } from "./report";
import { findRuntime } from "./runtime";

const LONG_STEPS = 20_000_000;
const SHORT_STEPS = [100_000, 500_000, 2_000_000];
const TOLERANCE = 0.15;
const ROUNDS = 5;

it("the Worker's own CPU, validated on a Worker of known cost", { timeout: 10 * 60_000 }, async () => {
  const worker = await startKnownCostWorker();
  const port = worker.port;
  try {
    const { pid, binary } = await findRuntime(worker.pid, port);
    const unavailable = prepareProbes(binary);
    if (unavailable) {
      console.warn(`own CPU not validated: ${unavailable}`);
      return;
    }
    const get = async (path: string) => void (await (await fetch(`http://127.0.0.1:${port}${path}`)).arrayBuffer());
    const run = async (path: string, times: number) => {
      for (let i = 0; i < times; i++) await get(path);
    };
    await run("/burn?n=1000000", 20); // compiles and optimises the loop before anything is measured
    const isolate = workerIsolate(await recordIsolates(pid, () => run("/noop", 20), 300));
    const own = async (path: string, times: number) =>
      ((await recordIsolates(pid, () => run(path, times), 300)).get(isolate)?.ms ?? 0) / times;
    const processMs = async (path: string, times: number) => {
      const before = processCpuMs(pid);
      await run(path, times);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return (processCpuMs(pid) - before) / times;
    };
    // The machine is shared: each round measures the known cost next to the short runs, and the median round counts.
    const rounds: { msPerStep: number; noop: number; short: number[] }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const msPerStep = ((await processMs(`/burn?n=${LONG_STEPS}`, 5)) - (await processMs("/noop", 50))) / LONG_STEPS;
      const noop = await own("/noop", 50);
      const short: number[] = [];
      for (const steps of SHORT_STEPS) short.push(await own(`/burn?n=${steps}`, 20));
      rounds.push({ msPerStep, noop, short });
    }
    const noop = median(rounds.map((r) => r.noop));
    const msPerStep = median(rounds.map((r) => r.msPerStep));
    const rows: (string | number)[][] = [["no-op", fixed(noop, 3), "", ""]];
    const errors = SHORT_STEPS.map((steps, i) =>
      median(rounds.map((r) => ((r.short[i] ?? 0) - r.noop) / (steps * r.msPerStep) - 1)),
    );
    SHORT_STEPS.forEach((steps, i) => {
      const measured = median(rounds.map((r) => r.short[i] ?? 0));
      const error = errors[i] ?? 0;
      rows.push([`${steps} steps`, fixed(measured, 3), fixed(steps * msPerStep, 3), `${fixed(error * 100, 1)}%`]);
    });
    const report = new Report();
    report.table(
      "The Worker's own CPU (v8::Locker uprobes) against a Worker of known cost",
      ["request", "own CPU ms", "known cost of the loop ms", "own less no-op, vs known"],
      rows,
    );
    report.note(
      `Known cost: ${fixed(msPerStep * 1e6, 2)} ns per step (median of ${ROUNDS} rounds), from the process CPU of 5 runs of ${LONG_STEPS} steps less 50 no-ops; each error is the median over rounds of (own CPU less a no-op) against that round's known cost.`,
    );
    report.write("the known-cost Worker (bench/known-cost), local workerd", "own-cpu.md");
    for (const error of errors) expect(Math.abs(error)).toBeLessThanOrEqual(TOLERANCE);
  } finally {
    await worker.stop();
  }
});

/** User + system CPU of one process, in ms (10 ms ticks). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
