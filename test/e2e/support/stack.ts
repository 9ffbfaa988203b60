/**
 * The whole end-to-end stack: the imitation upstream, a certificate for the Worker, and the Worker itself with its
 * `docker` route (registry, realm and search index) pointed at the imitation. Clients reach the Worker as `127.0.0.1:<port>`, a
 * hostname whose first label names no route, so it serves Docker Hub: exactly what a bare mirror domain does.
 * With `second`, a second registry (a ghcr.io imitation with its own token service) is the `ghcr` route, its realm
 * left for the Worker to learn, and the Worker also answers as `mirror.test` and `ghcr.mirror.test` (names.ts).
 * With `fallback`, a registry like mirror.gcr.io (the Hub imitation's images, its own token service) is the `docker`
 * route's one fallback (UPSTREAM_FALLBACKS).
 */
import { mkdir, readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type LogEntry,
  type SecondUpstream,
  startFallbackUpstream,
  startSecondUpstream,
  startUpstream,
  type Upstream,
} from "../upstream";
import { ensureNames, GHCR_SUBDOMAIN, MIRROR_DOMAIN } from "./names";
import { makeCertificate } from "./tls";
import { type RunningWorker, startWorker } from "./worker";

/** Where e2e runs keep their files (gitignored); the upstream's image cache there is reused across runs. */
export const ARTIFACTS = fileURLToPath(new URL("../.artifacts", import.meta.url));

/** A running stack. */
export interface Stack {
  upstream: Upstream;
  /** The second registry, when started with `second: true`. */
  second?: SecondUpstream;
  /** The `docker` route's fallback, when started with `fallback: true`. */
  fallback?: Upstream;
  /** `host:port` names of the Worker: the bare domain and the ghcr subdomain (with `second`; else both 127.0.0.1). */
  names: { bare: string; ghcr: string };
  worker: RunningWorker;
  /** The Worker's self-signed certificate, which is its own CA. */
  caCertPath: string;
  workDir: string;
  stop(): Promise<void>;
}

/** Starts upstream and Worker; `name` separates the work dirs of suites that run one after another. */
export async function startStack(
  name: string,
  options: {
    largeMb?: number;
    vars?: Record<string, string>;
    logLevel?: "warn" | "log";
    second?: boolean;
    fallback?: boolean;
    dnsNames?: string[];
    /** Binds a local R2 bucket as BLOBS (the R2-backed cache). */
    r2?: boolean;
    /** Public repositories of the Docker Hub imitation besides the fixtures' (see Upstream.pushRaw). */
    publicRepositories?: string[];
  } = {},
): Promise<Stack> {
  const workDir = join(ARTIFACTS, name);
  await mkdir(workDir, { recursive: true });
  const hubWorkDir = join(ARTIFACTS, `upstream-${options.largeMb ?? "default"}`);
  const upstream = await startUpstream({
    workDir: hubWorkDir,
    ...(options.largeMb ? { largeMb: options.largeMb } : {}),
    ...(options.publicRepositories ? { publicRepositories: options.publicRepositories } : {}),
  });
  let second: SecondUpstream | undefined;
  let fallback: Upstream | undefined;
  try {
    // Docker Hub's route falls back to mirror.gcr.io by default: tests never touch the internet, so the chain is off
    // unless the suite brings its own fallback (an upstream stopped on purpose would otherwise send the Worker there).
    const vars: Record<string, string> = { UPSTREAM_FALLBACKS: JSON.stringify({ docker: [] }) };
    if (options.fallback === true) {
      fallback = await startFallbackUpstream({ workDir: join(ARTIFACTS, "upstream-fallback") }, upstream, hubWorkDir);
      vars.UPSTREAM_FALLBACKS = JSON.stringify({ docker: [fallback.registryUrl] });
    }
    const upstreams: Record<string, { registry: string; realm?: string; index?: string; hosts?: string[] }> = {
      docker: { registry: upstream.registryUrl, realm: upstream.realmUrl, index: upstream.indexUrl },
    };
    if (options.second === true) {
      second = await startSecondUpstream({ workDir: join(ARTIFACTS, "upstream-second") });
      // No realm: the Worker learns it from the registry's /v2/ challenge, as it must for a real ghcr.io.
      upstreams.ghcr = { registry: second.registryUrl, hosts: ["ghcr.io"] };
      ensureNames();
    }
    const dns = [
      ...new Set([
        "localhost",
        ...(second === undefined ? [] : [MIRROR_DOMAIN, GHCR_SUBDOMAIN]),
        ...(options.dnsNames ?? []),
      ]),
    ];
    const cert = makeCertificate(workDir, "worker", undefined, dns);
    const worker = await startWorker({
      vars: { UPSTREAMS: JSON.stringify(upstreams), ...vars, ...options.vars },
      keyPath: cert.keyPath,
      certPath: cert.certPath,
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
      ...(options.r2 ? { r2: true } : {}),
    });
    const port = worker.host.split(":")[1]!;
    const names =
      second === undefined
        ? { bare: worker.host, ghcr: worker.host }
        : { bare: `${MIRROR_DOMAIN}:${port}`, ghcr: `${GHCR_SUBDOMAIN}:${port}` };
    return {
      upstream,
      ...(second === undefined ? {} : { second }),
      ...(fallback === undefined ? {} : { fallback }),
      names,
      worker,
      caCertPath: cert.certPath,
      workDir,
      stop: async () => {
        await worker.stop();
        await second?.stop();
        await fallback?.stop();
        await upstream.stop();
      },
    };
  } catch (error) {
    await second?.stop();
    await fallback?.stop();
    await upstream.stop();
    throw error;
  }
}

/** One of the Worker's per-request log lines. */
export interface WorkerRequest {
  method: string;
  path: string;
  status: number;
  /** X-Cache: HIT, MISS, REVALIDATED or STALE, for registry requests. */
  cache?: string;
  /** The fallback registry's host, when one answered instead of the route's own (X-Edgehub-Upstream). */
  fallback?: string;
}

/** The Worker's per-request log lines (method, path, status, …) printed since `from` characters of its output. */
export function workerRequests(stack: Stack, from = 0): WorkerRequest[] {
  return stack.worker
    .output()
    .slice(from)
    .split("\n")
    .filter((line) => line.startsWith('{"method":'))
    .map((line) => JSON.parse(line) as WorkerRequest);
}

/**
 * The Worker's per-request log lines since `from`, once a line for each of `paths` has arrived. A client can exit
 * before the Worker's lines for its requests reach this process (they pass through the local runtime's output), so
 * reading right after the client is a race under load; this waits for them, within `timeoutMs`.
 */
export async function workerRequestsFor(
  stack: Stack,
  from: number,
  paths: readonly string[],
  timeoutMs = 15_000,
): Promise<WorkerRequest[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = workerRequests(stack, from);
    const missing = paths.filter((path) => !answers.some((r) => r.path === path));
    if (missing.length === 0) return answers;
    if (Date.now() > deadline) throw new Error(`no Worker log line in ${timeoutMs / 1000} s for ${missing.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Asks the Worker directly (trusting its certificate), for a status and a header, without reading a body. */
export async function askWorker(
  stack: Stack,
  method: string,
  path: string,
): Promise<{ status: number; xCache: string | undefined }> {
  const ca = await readFile(stack.caCertPath);
  return new Promise((resolve, reject) => {
    const req = request(`${stack.worker.origin}${path}`, { method, ca }, (res) => {
      res.resume();
      const header = res.headers["x-cache"];
      resolve({ status: res.statusCode ?? 0, xCache: Array.isArray(header) ? header[0] : header });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Counts log entries per server and method, e.g. `registry GET 3, cdn GET 2, token GET 1`. */
export function summarizeRequests(entries: LogEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of entries) {
    const key = `${entry.server} ${entry.method}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
