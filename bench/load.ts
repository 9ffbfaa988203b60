/**
 * Load and memory measurements. The load generator is Node's own HTTP client in closed loops: wrk and autocannon
 * both wait for a body after a HEAD response that carries Content-Length (as every registry's does) and so complete
 * no HEAD requests at all, while Node's client knows HEAD has no body.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { readdirSync, readFileSync } from "node:fs";

/** What one load run measured. */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** How to load a URL. */
export interface LoadOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** CA for an HTTPS URL with a self-signed certificate. */
  ca?: string;
}

/** Sends requests from `connections` keep-alive loops for `seconds`; every non-2xx answer counts as an error. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const secure = options.url.startsWith("https:");
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: options.connections, ...(options.ca ? { ca: options.ca } : {}) })
    : new HttpAgent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const ok = await once(options, agent, secure);
      latencies.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, requestsPerSecond: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

function once(options: LoadOptions, agent: HttpAgent, secure: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const request = (secure ? httpsRequest : httpRequest)(options.url, { method: options.method, headers: options.headers, agent }, (response) => {
      response.resume();
      response.on("end", () => resolve((response.statusCode ?? 0) < 300));
      response.on("error", () => resolve(false));
    });
    request.on("error", () => resolve(false));
    request.end();
  });
}

/** Samples the summed RSS of the Worker runtime's processes in a process group until stopped; returns the peak in MiB. */
export function sampleGroupRss(pgid: number, intervalMs = 50): { stop: () => number } {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, groupRssKiB(pgid, /workerd/));
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak / 1024;
    },
  };
}

/** Summed VmRSS (KiB) of the processes in group `pgid` whose command line matches `pattern`. */
export function groupRssKiB(pgid: number, pattern: RegExp): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue; // the fifth field of stat: the process group
      if (!pattern.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"))) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total += rss ? Number(rss[1]) : 0;
    } catch {
      // the process ended between listing and reading
    }
  }
  return total;
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
