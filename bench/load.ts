/**
 * Load and memory measurements. The load generator is Node's own HTTP client in closed loops: wrk and autocannon
 * both wait for a body after a HEAD response that carries Content-Length (as every registry's does) and so complete
 * no HEAD requests at all, while Node's client knows HEAD has no body.
 */

import { readdirSync, readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** What one load run measured. */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** Body bytes received. */
  bytes: number;
}

/** One kind of request in a load. */
export interface LoadRequest {
  method: string;
  url: string;
}

/** How to load a URL, or a mix of requests. */
export interface LoadOptions {
  /** A single request (with `method`), or use `requests`. */
  url?: string;
  method?: string;
  /** A mix: each loop sends these in turn (starting at its own offset), so repeating one weights it. */
  requests?: LoadRequest[];
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  /** CA for an HTTPS URL with a self-signed certificate. */
  ca?: string;
  /**
   * Follows a redirect within the same timed request, as a client does for a blob, without Authorization when
   * the origin changes (the CDN refuses it).
   */
  followRedirects?: boolean;
}

/** Sends requests from `connections` keep-alive loops for `seconds`; every non-2xx answer counts as an error. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const requests = options.requests ?? [{ method: options.method ?? "GET", url: options.url ?? "" }];
  const secure = requests[0]!.url.startsWith("https:");
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: options.connections, ...(options.ca ? { ca: options.ca } : {}) })
    : new HttpAgent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  let errors = 0;
  const received = { bytes: 0 };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const loop = async (_: unknown, index: number) => {
    for (let turn = index; performance.now() < deadline; turn++) {
      const t0 = performance.now();
      const ok = await once(requests[turn % requests.length]!, options, agent, secure, received);
      latencies.push(performance.now() - t0);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const result = {
    requests: latencies.length,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
  return { ...result, errors, bytes: received.bytes };
}

function once(
  target: LoadRequest,
  options: LoadOptions,
  agent: HttpAgent,
  secure: boolean,
  received: { bytes: number },
  hops = 0,
): Promise<boolean> {
  return new Promise((resolve) => {
    const send = secure ? httpsRequest : httpRequest;
    const request = send(target.url, { method: target.method, headers: options.headers, agent }, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (options.followRedirects && status >= 300 && status < 400 && location !== undefined && hops < 5) {
        response.resume();
        const next = new URL(location, target.url);
        const sameOrigin = next.origin === new URL(target.url).origin;
        const headers = sameOrigin ? options.headers : withoutAuthorization(options.headers);
        response.on("end", () =>
          resolve(
            once(
              { method: target.method, url: next.href },
              { ...options, headers },
              agent,
              next.protocol === "https:",
              received,
              hops + 1,
            ),
          ),
        );
        return;
      }
      response.on("data", (chunk: Buffer) => (received.bytes += chunk.length));
      response.on("end", () => resolve(status >= 200 && status < 300));
      response.on("error", () => resolve(false));
    });
    request.on("error", () => resolve(false));
    request.end();
  });
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"));
}

/**
 * Samples the summed RSS of the Worker runtime's processes in a process group until stopped; `stop` returns the peak
 * in MiB, `samples` every sample so far (MiB, oldest first).
 */
export function sampleGroupRss(
  pgid: number,
  intervalMs = 50,
  pattern = /workerd/,
): { stop: () => number; samples: () => number[] } {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(groupRssKiB(pgid, pattern) / 1024), intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(0, ...samples);
    },
    samples: () => [...samples],
  };
}

/** Summed VmRSS (KiB) of the processes in group `pgid` whose command line matches `pattern`. */
export function groupRssKiB(pgid: number, pattern: RegExp): number {
  return sumOverGroup(pgid, pattern, (pid) => {
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return rss ? Number(rss[1]) : 0;
  });
}

/** Summed CPU time (user + system, seconds) of the processes in group `pgid` whose command line matches `pattern`. */
export function groupCpuSeconds(pgid: number, pattern: RegExp): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  return sumOverGroup(pgid, pattern, (_pid, fields) => (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
}

/** Adds up `measure` over the processes of a group; `fields` are those of /proc/<pid>/stat after the command name. */
function sumOverGroup(pgid: number, pattern: RegExp, measure: (pid: string, fields: string[]) => number): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue; // the fifth field of stat: the process group
      if (!pattern.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"))) continue;
      total += measure(pid, fields);
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
