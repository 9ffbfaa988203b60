/**
 * `npm run bench:load`: edgehub under load and under many large streams, next to the same load sent straight to the
 * imitation upstream in the same run. Plain HTTP on both paths (see mirror.bench.ts for why).
 * - manifest HEAD, manifest GET, blob GET and a mix of the three, at 10, 50 and 200 connections, BENCH_LOAD_SECONDS
 *   each: throughput, p50/p99 latency, errors, and edgehub's latency as a ratio of direct;
 * - the Worker runtime's RSS while BENCH_STREAMS clients each stream a 1 GiB layer at once (BENCH_HUGE_MB sets the
 *   large image: 4 layers), with UPSTREAM_IDLE_TIMEOUT_SECONDS off (the default) and on.
 * Writes bench/results/load.md, which README's "Reliability" section quotes.
 */
import { execFile } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { it } from "vitest";
import { ARTIFACTS } from "../test/e2e/support/stack";
import { type RunningWorker, startWorker } from "../test/e2e/support/worker";
import { fetchToken, startUpstream, type Upstream } from "../test/e2e/upstream";
import {
  groupCpuSeconds,
  groupRssKiB,
  type LoadRequest,
  type LoadResult,
  median,
  runLoad,
  sampleGroupRss,
} from "./load";
import { fixed, Report } from "./report";

const run = promisify(execFile);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
const HUGE_MB = Number(process.env.BENCH_HUGE_MB ?? 4096);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 20);
/** Concurrency levels of the request load; empty skips it (to measure only the streams). */
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "10,50,200").split(",").filter(Boolean).map(Number);
const ACCEPT = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json";

it("load benchmark", { timeout: 60 * 60_000 }, async () => {
  const report = new Report();
  const load = loadavg()[0]!.toFixed(1);
  if (CONNECTIONS.length > 0)
    await withStack(undefined, {}, (upstream, worker) => measureLoad(report, upstream, worker));
  for (const idle of ["0", "60"]) {
    await withStack(HUGE_MB, { UPSTREAM_IDLE_TIMEOUT_SECONDS: idle }, (upstream, worker) =>
      measureStreams(report, upstream, worker, idle),
    );
  }
  report.write(
    `${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}, everything on 127.0.0.1, load average ${load} at the start`,
    "load.md",
  );
});

/** Starts the imitation upstream (with `largeMb` of large image) and a plain-HTTP Worker in front of it. */
async function withStack(
  largeMb: number | undefined,
  vars: Record<string, string>,
  body: (upstream: Upstream, worker: RunningWorker) => Promise<void>,
): Promise<void> {
  const upstream = await startUpstream({
    workDir: join(ARTIFACTS, `upstream-${largeMb ?? "default"}`),
    ...(largeMb ? { largeMb } : {}),
  });
  let worker: RunningWorker | undefined;
  try {
    const upstreams = { docker: { registry: upstream.registryUrl, realm: upstream.realmUrl } };
    worker = await startWorker({ vars: { UPSTREAMS: JSON.stringify(upstreams), ...vars }, logLevel: "warn" });
    await body(upstream, worker);
  } finally {
    await worker?.stop();
    await upstream.stop();
  }
}

/** Each scenario at each concurrency, direct then through the Worker, with edgehub's ratios to direct. */
async function measureLoad(report: Report, upstream: Upstream, worker: RunningWorker): Promise<void> {
  const image = upstream.images.alpine;
  const token = await fetchToken(upstream, [`repository:${image.repository}:pull`]);
  const headers = { authorization: `Bearer ${token}`, accept: ACCEPT };
  const manifest = `/v2/${image.repository}/manifests/${image.tag}`;
  const blob = `/v2/${image.repository}/blobs/${image.manifests[0]!.layers[0]!.digest}`;
  const scenarios: [string, (base: string) => LoadRequest[]][] = [
    ["manifest HEAD", (base) => [{ method: "HEAD", url: base + manifest }]],
    ["manifest GET", (base) => [{ method: "GET", url: base + manifest }]],
    ["blob GET (via the CDN redirect)", (base) => [{ method: "GET", url: base + blob }]],
    [
      "mix: 3 HEAD, 1 GET, 1 blob",
      (base) => [
        ...Array(3).fill({ method: "HEAD", url: base + manifest }),
        { method: "GET", url: base + manifest },
        { method: "GET", url: base + blob },
      ],
    ],
  ];
  const rows: (string | number)[][] = [];
  let errorsAtMost = 0;
  for (const [name, requests] of scenarios) {
    for (const connections of CONNECTIONS) {
      const common = { headers, connections, seconds: LOAD_SECONDS, followRedirects: true };
      const direct = await runLoad({ ...common, requests: requests(upstream.registryUrl) });
      const mirror = await runLoad({ ...common, requests: requests(worker.origin) });
      errorsAtMost = Math.max(errorsAtMost, mirror.errors);
      rows.push(
        [name, connections, "direct", ...cells(direct), "", ""],
        [
          name,
          connections,
          "edgehub",
          ...cells(mirror),
          fixed(mirror.p50Ms / direct.p50Ms, 2),
          fixed(mirror.p99Ms / direct.p99Ms, 2),
        ],
      );
    }
  }
  report.table(
    `registry requests under load (closed loops of Node's HTTP client with keep-alive, ${LOAD_SECONDS} s per row; direct blob GETs follow the 307 to the CDN themselves)`,
    ["requests", "connections", "path", "req/s", "p50 ms", "p99 ms", "errors", "p50 vs direct", "p99 vs direct"],
    rows,
  );
  report.note(`Most errors through edgehub in any row: ${errorsAtMost}.`);
}

function cells(result: LoadResult): (string | number)[] {
  return [fixed(result.requestsPerSecond, 0), fixed(result.p50Ms, 1), fixed(result.p99Ms, 1), result.errors];
}

/** STREAMS curl clients, each streaming a 1 GiB layer through the Worker at once, while the runtime's RSS is sampled. */
async function measureStreams(report: Report, upstream: Upstream, worker: RunningWorker, idle: string): Promise<void> {
  const image = upstream.images.large;
  const layers = image.manifests[0]!.layers;
  const token = await fetchToken(upstream, [`repository:${image.repository}:pull`]);
  await run("curl", ["-sS", "-o", "/dev/null", `${worker.origin}/v2/`]); // warm: the isolate is loaded before "idle"
  const idleMiB = groupRssKiB(worker.pid, /workerd/) / 1024;
  const sampler = sampleGroupRss(worker.pid, 100);
  const cpuBefore = groupCpuSeconds(worker.pid, /workerd/);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: STREAMS }, async (_, i) => {
      const layer = layers[i % layers.length]!;
      const { stdout } = await run(
        "curl",
        [
          "-sS",
          "-o",
          "/dev/null",
          "-H",
          `Authorization: Bearer ${token}`,
          "-w",
          "%{http_code} %{size_download}",
          `${worker.origin}/v2/${image.repository}/blobs/${layer.digest}`,
        ],
        { maxBuffer: 1 << 20 },
      );
      const [status, bytes] = stdout.trim().split(" ").map(Number) as [number, number];
      return status === 200 && bytes === layer.size ? bytes : -1;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = groupCpuSeconds(worker.pid, /workerd/) - cpuBefore;
  const peakMiB = sampler.stop();
  const samples = sampler.samples();
  const failed = results.filter((bytes) => bytes < 0).length;
  const total = results.reduce((sum, bytes) => sum + Math.max(0, bytes), 0);
  report.table(
    `Worker runtime (workerd) RSS while ${STREAMS} clients stream ${fixed(layers[0]!.size / 2 ** 30, 2)} GiB layers at once, UPSTREAM_IDLE_TIMEOUT_SECONDS=${idle}`,
    [
      "idle RSS MiB",
      "median RSS MiB while streaming",
      "peak RSS MiB",
      "GiB streamed",
      "seconds",
      "MB/s in all",
      "workerd CPU s per GiB",
      "failed streams",
    ],
    [
      [
        fixed(idleMiB, 0),
        fixed(median(samples), 0),
        fixed(peakMiB, 0),
        fixed(total / 2 ** 30, 1),
        fixed(seconds, 1),
        fixed(total / 1e6 / seconds, 0),
        fixed(cpu / (total / 2 ** 30), 2),
        failed,
      ],
    ],
  );
}
