/**
 * What the owner's statistics count, and how one request's log line adds to them: the shapes that go from an
 * isolate to the store (a `Batch`) and back (a `Summary`). Pure, so the rules are tested table by table.
 */
import type { RequestLine } from "../respond/request-log";
import { isDigest } from "../routing/reference";

/** One hour's counts; the columns of the store's `hours` table. */
export interface HourCounts {
  requests: number;
  /** Manifest GETs by tag answered 2xx: one per image a client pulled. */
  pulls: number;
  hits: number;
  misses: number;
  revalidated: number;
  stale: number;
  /** Requests answered from the cache without any upstream request (`X-Cache: HIT`). */
  avoided: number;
  bytesFromCache: number;
  bytesFromUpstream: number;
  /** Requests answered 429 (this mirror's rate limit, or an upstream's passed on). */
  rateLimited: number;
}

/** The names of the counts, in the store's column order. */
export const COUNT_NAMES = [
  "requests",
  "pulls",
  "hits",
  "misses",
  "revalidated",
  "stale",
  "avoided",
  "bytesFromCache",
  "bytesFromUpstream",
  "rateLimited",
] as const satisfies readonly (keyof HourCounts)[];

/** Pulls of one repository in one hour. */
export interface RepositoryPulls {
  /** Hours since the epoch (UTC). */
  hour: number;
  route: string;
  repository: string;
  pulls: number;
}

/** What an isolate sends the store in one flush. */
export interface Batch {
  hours: { hour: number; counts: HourCounts }[];
  pulls: RepositoryPulls[];
}

/** What `/stats` shows: totals over the kept hours, the most pulled repositories, and the last 48 hours. */
export interface Summary {
  since: string | null;
  requests: number;
  pulls: number;
  cache: { hits: number; misses: number; revalidated: number; stale: number };
  upstreamRequestsAvoided: number;
  bytes: { fromCache: number; fromUpstream: number };
  rateLimited: number;
  top: { route: string; repository: string; pulls: number }[];
  hours: ({ start: string } & Omit<HourCounts, "avoided" | "bytesFromCache" | "bytesFromUpstream">)[];
}

/** The hour (since the epoch, UTC) that a time in milliseconds falls in. */
export function hourOf(ms: number): number {
  return Math.floor(ms / 3_600_000);
}

/** Zero counts. */
export function emptyCounts(): HourCounts {
  return Object.fromEntries(COUNT_NAMES.map((name) => [name, 0])) as unknown as HourCounts;
}

/** Whether a request was a pull: a manifest GET by tag answered 2xx. */
export function isPull(line: RequestLine): boolean {
  return (
    line.method === "GET" &&
    line.kind === "manifest" &&
    line.object !== undefined &&
    !isDigest(line.object) &&
    line.status >= 200 &&
    line.status < 300
  );
}

/** Adds one request to an hour's counts. */
export function addLine(counts: HourCounts, line: RequestLine): void {
  counts.requests += 1;
  if (isPull(line)) counts.pulls += 1;
  if (line.status === 429) counts.rateLimited += 1;
  switch (line.cache) {
    case "HIT":
      counts.hits += 1;
      counts.avoided += 1;
      break;
    case "MISS":
      counts.misses += 1;
      break;
    case "REVALIDATED":
      counts.revalidated += 1;
      break;
    case "STALE":
      counts.stale += 1;
      break;
  }
  if (line.bytes === undefined || line.status < 200 || line.status >= 300) return;
  // REVALIDATED and STALE serve the cached copy: the upstream answered a HEAD, or nothing.
  if (line.cache !== undefined && line.cache !== "MISS") counts.bytesFromCache += line.bytes;
  else if (line.repository !== undefined) counts.bytesFromUpstream += line.bytes;
}
