/**
 * `StatsStore`: the SQLite-backed Durable Object that keeps the owner's statistics, one row per hour and one per
 * repository pulled in that hour, for 30 days. Every isolate adds its batches here; `/stats` reads the sums.
 * Each RPC call runs its statements in one synchronous transaction, so concurrent batches add up exactly.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config/env";
import { type Batch, COUNT_NAMES, type HourCounts, hourOf, type Summary } from "./counts";

/** Hours kept; older rows are deleted when an hour begins. */
export const KEPT_HOURS = 30 * 24;
/** Hours the charts show. */
export const CHART_HOURS = 48;
/** Repositories listed in `top`. */
const TOP = 10;

/** Column names in snake case, in COUNT_NAMES order. */
const COLUMNS = COUNT_NAMES.map((name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
const SCHEMA = `CREATE TABLE IF NOT EXISTS hours (hour INTEGER PRIMARY KEY, ${COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(", ")});
CREATE TABLE IF NOT EXISTS pulls (hour INTEGER NOT NULL, route TEXT NOT NULL, repository TEXT NOT NULL, pulls INTEGER NOT NULL, PRIMARY KEY (hour, route, repository)) WITHOUT ROWID;`;
const ADD_HOUR = `INSERT INTO hours (hour, ${COLUMNS.join(", ")}) VALUES (?${", ?".repeat(COLUMNS.length)})
ON CONFLICT (hour) DO UPDATE SET ${COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;
const ADD_PULLS = `INSERT INTO pulls (hour, route, repository, pulls) VALUES (?, ?, ?, ?)
ON CONFLICT (hour, route, repository) DO UPDATE SET pulls = pulls + excluded.pulls`;

/** The Durable Object class (binding STATS, migration "v1" in wrangler.toml). */
export class StatsStore extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The hour whose old rows were last pruned, so pruning runs once an hour at most. */
  private prunedHour = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Adds an isolate's batch. */
  add(batch: Batch): void {
    this.ctx.storage.transactionSync(() => {
      for (const { hour, counts } of batch.hours) {
        this.sql.exec(ADD_HOUR, hour, ...COUNT_NAMES.map((name) => count(counts[name])));
      }
      for (const p of batch.pulls) this.sql.exec(ADD_PULLS, p.hour, p.route, p.repository, count(p.pulls));
      this.prune(hourOf(Date.now()));
    });
  }

  /** The totals over the kept hours, the most pulled repositories, and the last CHART_HOURS hours. */
  read(now: number): Summary {
    const current = hourOf(now);
    this.prune(current);
    const sums = COLUMNS.map((c) => `COALESCE(SUM(${c}), 0) AS ${c}`).join(", ");
    const total = this.sql.exec<Record<string, number | null>>(`SELECT MIN(hour) AS since, ${sums} FROM hours`).one();
    const byHour = new Map<number, HourCounts>();
    for (const row of this.sql.exec<Record<string, number>>(
      "SELECT * FROM hours WHERE hour > ?",
      current - CHART_HOURS,
    ))
      byHour.set(row.hour ?? 0, countsOf(row));
    const totals = countsOf(total);
    const top = this.sql
      .exec<{ route: string; repository: string; pulls: number }>(
        `SELECT route, repository, SUM(pulls) AS pulls FROM pulls GROUP BY route, repository ORDER BY pulls DESC, route, repository LIMIT ${TOP}`,
      )
      .toArray();
    return {
      since: typeof total.since === "number" ? new Date(total.since * 3_600_000).toISOString() : null,
      requests: totals.requests,
      pulls: totals.pulls,
      cache: { hits: totals.hits, misses: totals.misses, revalidated: totals.revalidated, stale: totals.stale },
      upstreamRequestsAvoided: totals.avoided,
      bytes: { fromCache: totals.bytesFromCache, fromUpstream: totals.bytesFromUpstream },
      rateLimited: totals.rateLimited,
      top: top.map(({ route, repository, pulls }) => ({ route, repository, pulls })),
      hours: Array.from({ length: CHART_HOURS }, (_, i) => {
        const hour = current - CHART_HOURS + 1 + i;
        const { avoided: _a, bytesFromCache: _c, bytesFromUpstream: _u, ...shown } = byHour.get(hour) ?? countsOf({});
        return { start: new Date(hour * 3_600_000).toISOString(), ...shown };
      }),
    };
  }

  /** Deletes rows older than KEPT_HOURS, once per hour. */
  private prune(current: number): void {
    if (current === this.prunedHour) return;
    this.prunedHour = current;
    this.sql.exec("DELETE FROM hours WHERE hour <= ?", current - KEPT_HOURS);
    this.sql.exec("DELETE FROM pulls WHERE hour <= ?", current - KEPT_HOURS);
  }
}

/** A row's counts by their names. */
function countsOf(row: Record<string, number | null | undefined>): HourCounts {
  return Object.fromEntries(
    COUNT_NAMES.map((name, i) => [name, Number(row[COLUMNS[i] ?? ""] ?? 0)]),
  ) as unknown as HourCounts;
}

/** A count as stored: a non-negative integer, whatever a caller sent. */
function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
