/**
 * CPU per request, path by path, two ways:
 * - the Worker's own CPU: time on CPU while workerd holds the Worker's isolate lock (bench/own-cpu.ts, validated by
 *   bench/own-cpu.bench.ts). This is what Cloudflare's CPU limit counts, and what cache/budget.ts is fitted to;
 * - the process CPU (user + system, /proc) of the local runtime across the same requests: everything workerd does,
 *   Miniflare's entry Worker, its Cache API and R2 simulators, HTTP parsing and native streaming included.
 * Each path that needs a cold cache gets a fresh Worker (the local cache does not persist). Background work (fills)
 * finishes after the answer and is counted: the recording runs until it settles.
 */

import { readdirSync, readFileSync } from "node:fs";
import type { RunningWorker } from "../test/e2e/support/worker";
import { fetchToken, type Upstream } from "../test/e2e/upstream";
import { prepareProbes, recordIsolates, workerIsolate } from "./own-cpu";
import { fixed, type Report } from "./report";
import { findRuntime } from "./runtime";
import { measureStatsCpu } from "./stats-cpu";

const ACCEPT =
  "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";
const SETTLE_MS = 1500;
const REPEAT = Number(process.env.BENCH_CPU_REPEAT ?? 100);
const MISS_ROUNDS = 4;

type Start = (options?: { vars?: Record<string, string>; r2?: boolean }) => Promise<RunningWorker>;
type Ask = (worker: RunningWorker, method: string, path: string) => Promise<number>;
/** CPU of one measurement: the process's, and the Worker's own when the probes could run. */
interface Cost {
  processMs: number;
  ownMs: number | undefined;
}

/** Measures each path and adds the table to the report. */
export async function measureCpu(report: Report, upstream: Upstream, start: Start): Promise<void> {
  const large = upstream.images.large;
  const publicImages = Object.values(upstream.images).filter((i) => !i.repository.startsWith("private/"));
  const token = await fetchToken(
    upstream,
    publicImages.map((i) => `repository:${i.repository}:pull`),
  );
  const ask: Ask = (worker, method, path) => request(worker, method, path, token);
  const layers = large.manifests[0]!.layers.map((l) => `/v2/${large.repository}/blobs/${l.digest}`);
  const layerMb = large.manifests[0]!.layers.reduce((sum, l) => sum + l.size, 0) / 1e6;
  const rows: (string | number)[][] = [];
  let probesMissing: string | undefined;
  const cost = async (worker: RunningWorker, work: () => Promise<void>): Promise<Cost> => {
    const probe = await probeFor(worker, ask);
    if (typeof probe === "string") probesMissing = probe;
    return measure(worker, typeof probe === "string" ? undefined : probe, work);
  };
  const row = (path: string, measured: Cost, per: "request" | "MB", count: number, divisor: number) => {
    const own = measured.ownMs === undefined ? "n/a" : fixed(measured.ownMs / divisor, 2);
    const processMs = fixed(measured.processMs / divisor, 2);
    rows.push([path, per === "request" ? own : "", per === "MB" ? own : "", processMs, per, count]);
  };
  const repeat = (worker: RunningWorker, method: string, path: string) => async () => {
    for (let i = 0; i < REPEAT; i++) await ask(worker, method, path);
  };

  const plain = await start();
  const tag = "/v2/library/alpine/manifests/latest";
  await ask(plain, "GET", tag);
  await sleep(SETTLE_MS);
  for (const method of ["HEAD", "GET"])
    row(`cached tag ${method}`, await cost(plain, repeat(plain, method, tag)), "request", REPEAT, REPEAT);
  const alpine = upstream.images.alpine;
  const byDigest = `/v2/${alpine.repository}/manifests/${alpine.digest}`;
  await ask(plain, "GET", byDigest);
  row("manifest by digest, hit", await cost(plain, repeat(plain, "GET", byDigest)), "request", REPEAT, REPEAT);
  for (const [name, path] of [
    ["/token", `/token?service=${upstream.service}&scope=repository:library/alpine:pull`],
    ["/", "/"],
    ["/v2/", "/v2/"],
  ] as const)
    row(name, await cost(plain, repeat(plain, "GET", path)), "request", REPEAT, REPEAT);

  // A new tag: its manifest fetched, hashed, stored, and its tag record written. A fresh Worker per round (the local
  // cache does not persist), warmed by one tag miss of its own so the first-call costs of the path are not counted.
  const [warmTag, ...tags] = publicImages.map((i) => `/v2/${i.repository}/manifests/${i.tag}`);
  const misses: Cost = { processMs: 0, ownMs: 0 };
  for (let round = 0; round < MISS_ROUNDS; round++) {
    const fresh = await start();
    for (let i = 0; i < 5; i++) await ask(fresh, "GET", "/v2/");
    if (warmTag) await ask(fresh, "GET", warmTag);
    const measured = await cost(fresh, async () => {
      for (const path of tags) await ask(fresh, "GET", path);
    });
    misses.processMs += measured.processMs;
    misses.ownMs =
      measured.ownMs === undefined || misses.ownMs === undefined ? undefined : misses.ownMs + measured.ownMs;
  }
  const missCount = tags.length * MISS_ROUNDS;
  row("manifest miss (new tag: fetched, hashed, stored)", misses, "request", missCount, missCount);

  const blobRows = async (label: string, worker: RunningWorker) => {
    const measured = await cost(worker, () => getAll(worker, layers, ask));
    row(label, measured, "request", layers.length, layers.length);
    row(label, measured, "MB", layers.length, layerMb);
  };
  await blobRows("blob stream-through (CACHE=off)", await start({ vars: { CACHE: "off" } }));
  const defaults = await start();
  await blobRows("blob miss, default budget (stored natively, length-checked)", defaults);
  await blobRows("blob hit (Cache API)", defaults);
  await blobRows(
    "blob miss, hashed fill (CACHE_CPU_BUDGET_MS=300000)",
    await start({ vars: { CACHE_CPU_BUDGET_MS: "300000" } }),
  );
  await blobRows("blob miss, R2 fill (R2 checks sha256; then a Cache API copy)", await start({ r2: true }));

  // The owner's statistics (#25): process CPU only, in alternating rounds long enough to hold their own flushes.
  const stats = await measureStatsCpu(start, ask, cpuOf, tag);
  const statsCost = (ms: number): Cost => ({ processMs: ms, ownMs: undefined });
  row("cached tag GET, statistics off", statsCost(stats.off), "request", stats.requests, 1);
  row("cached tag GET, statistics on (flushes included)", statsCost(stats.on), "request", stats.requests, 1);
  const statsNote = `With statistics on, /stats counted ${stats.counted} requests (the measured ones and the warm-up).`;
  report.table(
    "CPU per request: the Worker's own (its isolate's lock held, on CPU) and the local runtime's process CPU",
    ["path", "own ms per request", "own ms per MB", "process ms", "process per", "requests"],
    rows,
  );
  report.note(
    `Cloudflare's free plan allows 10 ms of CPU per request. Layers: ${layers.length} of ${fixed(layerMb / layers.length, 0)} MB each. ` +
      (probesMissing
        ? `Own CPU not measured: ${probesMissing}.`
        : "Own CPU: bench/own-cpu.ts, validated in bench/results/own-cpu.md.") +
      ` ${statsNote}`,
  );
}

/** Per Worker: its runtime process and isolate, found once (a calibration of /v2/ requests), or why the probes cannot run. */
const probes = new Map<RunningWorker, { pid: number; isolate: string } | string>();

async function probeFor(worker: RunningWorker, ask: Ask): Promise<{ pid: number; isolate: string } | string> {
  const known = probes.get(worker);
  if (known) return known;
  const port = Number(worker.host.split(":")[1]);
  const { pid, binary } = await findRuntime(worker.pid, port);
  const missing = prepareProbes(binary);
  let found: { pid: number; isolate: string } | string = missing ?? "";
  if (!missing) {
    const calibration = await recordIsolates(
      pid,
      async () => {
        for (let i = 0; i < 20; i++) await ask(worker, "GET", "/v2/").catch(() => 0);
      },
      300,
    );
    found = { pid, isolate: workerIsolate(calibration) };
  }
  probes.set(worker, found);
  return found;
}

/** Process CPU of the Worker's runtime across `work` and what it left running, and the Worker's own when probed. */
async function measure(
  worker: RunningWorker,
  probe: { pid: number; isolate: string } | undefined,
  work: () => Promise<void>,
): Promise<Cost> {
  await sleep(200);
  const before = runtimeCpuSeconds(worker.pid);
  let ownMs: number | undefined;
  if (probe) ownMs = (await recordIsolates(probe.pid, work, SETTLE_MS)).get(probe.isolate)?.ms ?? 0;
  else {
    await work();
    await sleep(SETTLE_MS);
  }
  return { processMs: (runtimeCpuSeconds(worker.pid) - before) * 1000, ownMs };
}

/** workerd's CPU milliseconds spent on `work` and the background work it left. */
async function cpuOf(worker: RunningWorker, work: () => Promise<void>, settleMs = SETTLE_MS): Promise<number> {
  await sleep(200);
  const before = runtimeCpuSeconds(worker.pid);
  await work();
  await sleep(settleMs);
  return (runtimeCpuSeconds(worker.pid) - before) * 1000;
}

/**
 * CPU seconds of the Worker's runtime: user + system time of its workerd processes, plus the time of reaped children
 * of any process in the group (so a runtime process that exits mid-measurement does not take its time with it).
 */
function runtimeCpuSeconds(pgid: number): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const own = /workerd/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"))
        ? Number(fields[11]) + Number(fields[12])
        : 0;
      ticks += own + Number(fields[13]) + Number(fields[14]);
    } catch {
      // the process ended between listing and reading
    }
  }
  return ticks / ticksPerSecond;
}

async function getAll(worker: RunningWorker, paths: string[], ask: Ask): Promise<void> {
  for (const path of paths) await ask(worker, "GET", path);
}

/** One request with the pull token, body read to the end; returns the bytes read. */
async function request(worker: RunningWorker, method: string, path: string, token: string): Promise<number> {
  const init = { method, headers: { authorization: `Bearer ${token}`, accept: ACCEPT } };
  // A kept-alive connection the runtime closed just as it was reused fails at once: ask again on a new one.
  const response = await fetch(`${worker.origin}${path}`, init)
    .catch(() => fetch(`${worker.origin}${path}`, init))
    .catch((error: unknown) => {
      throw new Error(`${method} ${path} failed; the Worker's output ends:\n${worker.output().slice(-3000)}`, {
        cause: error,
      });
    });
  if (response.status >= 500) throw new Error(`${method} ${path}: ${response.status}`);
  let bytes = 0;
  if (response.body) for await (const chunk of response.body) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
