/**
 * The Worker runtime's CPU per request, path by path: the process CPU time (user + system, /proc/<pid>/stat) of the
 * local runtime (workerd) across N requests, divided by N (or by the megabytes moved). It counts everything workerd
 * does, HTTP parsing and native streaming included, so it is an upper bound on what Cloudflare bills a Worker for.
 * Each path that needs a cold cache gets a fresh Worker (the local cache does not persist).
 */

import { readdirSync, readFileSync } from "node:fs";
import type { RunningWorker } from "../test/e2e/support/worker";
import { fetchToken, type Upstream } from "../test/e2e/upstream";
import { fixed, type Report } from "./report";
import { measureStatsCpu } from "./stats-cpu";

const ACCEPT =
  "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";
/** Background work (fills, markers) finishes after the answer; it is part of what the request costs. */
const SETTLE_MS = 1500;
const REPEAT = Number(process.env.BENCH_CPU_REPEAT ?? 200);
const MISS_ROUNDS = 4;

type Start = (options?: { vars?: Record<string, string>; r2?: boolean }) => Promise<RunningWorker>;

/** Measures each path and adds the table to the report. */
export async function measureCpu(report: Report, upstream: Upstream, start: Start): Promise<void> {
  const large = upstream.images.large;
  const repositories = Object.values(upstream.images)
    .filter((i) => !i.repository.startsWith("private/"))
    .map((i) => i.repository);
  const token = await fetchToken(
    upstream,
    repositories.map((r) => `repository:${r}:pull`),
  );
  const ask = (worker: RunningWorker, method: string, path: string) => request(worker, method, path, token);
  const layers = large.manifests[0]!.layers.map((l) => `/v2/${large.repository}/blobs/${l.digest}`);
  const layerMb = large.manifests[0]!.layers.reduce((sum, l) => sum + l.size, 0) / 1e6;
  const rows: (string | number)[][] = [];
  const row = (path: string, ms: number, unit: "request" | "MB", count: number) =>
    rows.push([path, unit === "request" ? fixed(ms, 2) : "", unit === "MB" ? fixed(ms, 2) : "", count]);

  const plain = await start();
  const tag = `/v2/library/alpine/manifests/latest`;
  await ask(plain, "GET", tag);
  await sleep(SETTLE_MS);
  for (const method of ["HEAD", "GET"]) {
    const ms = await cpuOf(plain, async () => {
      for (let i = 0; i < REPEAT; i++) await ask(plain, method, tag);
    });
    row(`cached tag ${method}`, ms / REPEAT, "request", REPEAT);
  }
  const manifests = Object.values(upstream.images)
    .filter((i) => !i.repository.startsWith("private/"))
    .flatMap((i) =>
      [...new Set([i.digest, ...i.manifests.map((m) => m.digest)])].map((d) => `/v2/${i.repository}/manifests/${d}`),
    );
  // Few manifests per fixture set, and /proc counts in 10 ms ticks: a fresh Worker per round, several rounds.
  let missMs = 0;
  for (let round = 0; round < MISS_ROUNDS; round++) {
    const fresh = round === 0 ? plain : await start();
    for (let i = 0; i < 5; i++) await ask(fresh, "GET", "/v2/"); // a fresh isolate's first requests compile the Worker
    missMs += await cpuOf(fresh, async () => {
      for (const path of manifests) await ask(fresh, "GET", path);
    });
  }
  row(
    "manifest miss (by digest, fetched, verified, stored)",
    missMs / (manifests.length * MISS_ROUNDS),
    "request",
    manifests.length * MISS_ROUNDS,
  );
  const proxy = await start({ vars: { CACHE: "off" } });
  const tagged = manifests[0]!;
  await ask(proxy, "GET", tagged);
  const proxyMs = await cpuOf(proxy, async () => {
    for (let i = 0; i < REPEAT; i++) await ask(proxy, "GET", tagged);
  });
  row("manifest GET with CACHE=off (the proxy alone, for comparison)", proxyMs / REPEAT, "request", REPEAT);
  // The default budget (10 ms): these layers' fills are estimated over it, so they stream through uncached.
  row(
    "blob miss, streamed through without a fill (default budget)",
    (await cpuOf(plain, () => getAll(plain, layers, ask))) / layerMb,
    "MB",
    layers.length,
  );

  const filling = await start({ vars: { CACHE_CPU_BUDGET_MS: "300000" } });
  row(
    "blob miss with a verified fill (Worker hashes, no R2)",
    (await cpuOf(filling, () => getAll(filling, layers, ask))) / layerMb,
    "MB",
    layers.length,
  );
  row(
    "blob hit (Cache API)",
    (await cpuOf(filling, () => getAll(filling, layers, ask))) / layerMb,
    "MB",
    layers.length,
  );

  const stats = await measureStatsCpu(start, ask, cpuOf, tag);
  row("cached tag GET, statistics off", stats.off, "request", stats.requests);
  row("cached tag GET, statistics on (STATS_TOKEN set, flushes included)", stats.on, "request", stats.requests);
  const statsNote = `With statistics on, /stats counted ${stats.counted} requests (the measured ones and the warm-up).`;

  const r2 = await start({ vars: { CACHE_CPU_BUDGET_MS: "300000" }, r2: true });
  row(
    "blob miss with an R2 fill (R2 checks sha256, then Cache API copy)",
    (await cpuOf(r2, () => getAll(r2, layers, ask))) / layerMb,
    "MB",
    layers.length,
  );
  report.table(
    "Worker CPU per request (upper bound: the local runtime's process CPU time, workerd, user + system)",
    ["path", "ms per request", "ms per MB", "requests"],
    rows,
  );
  report.note(
    `Cloudflare's free plan allows 10 ms of CPU per request. Layers: ${layers.length} of ${fixed(layerMb / layers.length, 0)} MB each. ${statsNote}`,
  );
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

async function getAll(
  worker: RunningWorker,
  paths: string[],
  ask: (w: RunningWorker, m: string, p: string) => Promise<number>,
): Promise<void> {
  for (const path of paths) await ask(worker, "GET", path);
}

/** One request with the pull token, body read to the end; returns the bytes read. */
async function request(worker: RunningWorker, method: string, path: string, token: string): Promise<number> {
  const response = await fetch(`${worker.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: ACCEPT },
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  let bytes = 0;
  if (response.body) for await (const chunk of response.body) bytes += (chunk as Uint8Array).byteLength;
  return bytes;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
