/**
 * The store's rules and its failures: hourly rows kept 30 days, then deleted; a store that throws or never answers
 * changes nothing a client sees (one log line, a bounded wait), and /stats then says 503.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { STORE_TIMEOUT_MS } from "../../../src/stats/client";
import { KEPT_HOURS, type StatsStore } from "../../../src/stats/store";
import { callWorker, settled } from "../support/fake-upstream";
import { brokenStore, OWNER, ownStore, readStats, settle, TOKEN } from "./support";

describe("the store", () => {
  it("keeps hourly rows 30 days, then deletes them", async () => {
    const store = ownStore();
    const now = Math.floor(Date.now() / 3_600_000);
    const kept = now - KEPT_HOURS + 1;
    await runInDurableObject(store.stub() as DurableObjectStub<StatsStore>, (_instance, state) => {
      for (const hour of [now - KEPT_HOURS - 5, now - KEPT_HOURS, kept, now - 1]) {
        state.storage.sql.exec("INSERT INTO hours (hour, requests, pulls) VALUES (?, 1, 1)", hour);
        state.storage.sql.exec("INSERT INTO pulls VALUES (?, 'docker', ?, 1)", hour, `library/h${hour}`);
      }
    });
    const stats = await readStats(store.vars);
    expect(stats).toMatchObject({ requests: 2, pulls: 2, since: new Date(kept * 3_600_000).toISOString() });
    expect(stats.top.map((t) => t.repository).sort()).toEqual([`library/h${kept}`, `library/h${now - 1}`].sort());
    const left = await runInDurableObject(store.stub() as DurableObjectStub<StatsStore>, (_instance, state) => ({
      hours: state.storage.sql.exec("SELECT hour FROM hours ORDER BY hour").toArray(),
      pulls: state.storage.sql.exec("SELECT hour FROM pulls ORDER BY hour").toArray(),
    }));
    expect(left).toEqual({ hours: [{ hour: kept }, { hour: now - 1 }], pulls: [{ hour: kept }, { hour: now - 1 }] });
    await settle(store.vars);
  });
});

describe("a store that is down", () => {
  for (const mode of ["throws", "hangs"] as const) {
    it(`${mode}: requests are answered as ever, the flush is logged once, and /stats says 503`, async () => {
      const vars = { STATS: brokenStore(mode), STATS_TOKEN: TOKEN };
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const started = Date.now();
      for (let i = 0; i < 5; i++) {
        const response = await callWorker("https://mirror.example.org/robots.txt", {}, vars);
        expect(response.status).toBe(200);
        expect(await response.text()).toContain("Disallow");
      }
      expect(Date.now() - started).toBeLessThan(1_000);
      const flushing = Date.now();
      await settle(vars);
      expect(Date.now() - flushing).toBeLessThan(STORE_TIMEOUT_MS + 1_000);
      const lines = warn.mock.calls.map(([line]) => JSON.parse(String(line)) as { msg: string; requests?: number });
      expect(lines).toEqual([expect.objectContaining({ msg: "stats flush failed", requests: 5 })]);
      const page = await callWorker("https://mirror.example.org/stats", { headers: OWNER }, vars);
      expect(page.status).toBe(503);
      expect(await page.text()).not.toContain(TOKEN);
      await settled();
    }, 15_000);
  }
});
