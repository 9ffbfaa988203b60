/**
 * /stats is the owner's: 404 (like any unknown path) without a store or a token, 401 with a Basic challenge for a
 * stranger when the guide is the home page, the decoy's own answer behind a decoy or to a blocked crawler, and the
 * page for STATS_TOKEN as Bearer or as any user's Basic password.
 */
import { describe, expect, it } from "vitest";
import { guideContentSecurityPolicy } from "../../../src/pages/assets";
import { callWorker } from "../support/fake-upstream";
import { OWNER, ownStore, readStats, settle, TOKEN } from "./support";

const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

/** Status, content type and body of a path, for comparing /stats with another unknown path. */
async function answerOf(path: string, headers: Record<string, string>, vars: Record<string, unknown>) {
  const response = await callWorker(`https://mirror.example.org${path}`, { headers }, vars);
  const body = (await response.text()).replaceAll(path, "<path>");
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    location: response.headers.get("location"),
    challenge: response.headers.get("www-authenticate"),
    body,
  };
}

const basic = (user: string, password: string) => ({ authorization: `Basic ${btoa(`${user}:${password}`)}` });

describe("/stats when statistics are off", () => {
  it("is 404 like any unknown path without STATS_TOKEN, or without the STATS binding", async () => {
    const { namespace } = ownStore();
    for (const vars of [
      { STATS: namespace },
      { STATS: undefined, STATS_TOKEN: TOKEN },
      { STATS: namespace, STATS_TOKEN: " " },
    ]) {
      const stats = await answerOf("/stats", { ...BROWSER, ...OWNER }, vars);
      expect(stats.status).toBe(404);
      expect(stats).toEqual(await answerOf("/elsewhere", { ...BROWSER, ...OWNER }, vars));
    }
  });
});

describe("/stats behind the guide", () => {
  it("asks a stranger for the token with a Basic challenge (a browser prompts)", async () => {
    const store = ownStore();
    for (const headers of [
      {},
      { authorization: "Bearer wrong" },
      basic("owner", "wrong"),
      basic("owner", ""),
      { authorization: TOKEN },
    ]) {
      const answer = await answerOf("/stats", { ...BROWSER, ...headers }, store.vars);
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe('Basic realm="edgehub stats"');
      expect(answer.body).not.toContain(TOKEN);
    }
    await settle(store.vars);
    expect(store.calls).not.toContain("read");
  });

  it("lets the owner in with Bearer, or Basic with any user name and the token as password", async () => {
    const store = ownStore();
    for (const headers of [OWNER, { authorization: `bearer ${TOKEN}` }, basic("anyone", TOKEN), basic("", TOKEN)]) {
      const response = await callWorker(
        "https://mirror.example.org/stats",
        { headers: { ...BROWSER, ...headers } },
        store.vars,
      );
      expect(response.status).toBe(200);
      expect(await response.text()).toContain("Mirror statistics");
    }
    await settle(store.vars);
  });

  it("shows an HTML page under the guide's policy, with inline SVG charts and nothing from elsewhere", async () => {
    const store = ownStore();
    const response = await callWorker(
      "https://mirror.example.org/stats",
      { headers: { ...BROWSER, ...OWNER } },
      store.vars,
    );
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toBe(await guideContentSecurityPolicy());
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/\s(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/\sstyle="|<script/);
    expect(html).not.toContain(TOKEN);
    await settle(store.vars);
  });

  it("answers JSON of the agreed shape for Accept: application/json", async () => {
    const store = ownStore();
    const summary = await readStats(store.vars);
    expect(Object.keys(summary)).toEqual([
      "since",
      "requests",
      "pulls",
      "cache",
      "upstreamRequestsAvoided",
      "bytes",
      "rateLimited",
      "top",
      "hours",
    ]);
    expect(summary).toMatchObject({
      since: null,
      requests: 0,
      pulls: 0,
      cache: { hits: 0, misses: 0, revalidated: 0, stale: 0 },
      upstreamRequestsAvoided: 0,
      bytes: { fromCache: 0, fromUpstream: 0 },
      rateLimited: 0,
      top: [],
    });
    expect(summary.hours).toHaveLength(48);
    expect(Object.keys(summary.hours[0]!)).toEqual([
      "start",
      "requests",
      "pulls",
      "hits",
      "misses",
      "revalidated",
      "stale",
      "rateLimited",
    ]);
    expect(Date.parse(summary.hours[47]!.start)).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - Date.parse(summary.hours[47]!.start)).toBeLessThan(3_600_000);
    await settle(store.vars);
  });
});

describe("/stats behind a decoy or to a blocked crawler", () => {
  const decoys = ["nginx", "redirect:https://www.example.net/", "none"];

  it("answers a stranger exactly as any unknown path there, never with a 401", async () => {
    const store = ownStore();
    for (const HOME_PAGE of decoys) {
      const vars = { ...store.vars, HOME_PAGE };
      for (const headers of [
        BROWSER,
        { ...BROWSER, authorization: "Bearer wrong" },
        { ...BROWSER, ...basic("a", "b") },
      ]) {
        const stats = await answerOf("/stats", headers, vars);
        expect(stats.status, HOME_PAGE).not.toBe(401);
        expect(stats, HOME_PAGE).toEqual(await answerOf("/elsewhere", headers, vars));
      }
    }
    await settle(store.vars);
    expect(store.calls).not.toContain("read");
  });

  it("still shows the owner the page behind a decoy", async () => {
    const store = ownStore();
    for (const HOME_PAGE of decoys) {
      const response = await callWorker(
        "https://mirror.example.org/stats",
        { headers: { ...BROWSER, ...OWNER } },
        { ...store.vars, HOME_PAGE },
      );
      expect(response.status, HOME_PAGE).toBe(200);
      await response.text();
    }
    await settle(store.vars);
  });

  it("gives a blocked crawler the decoy, as for any other path", async () => {
    const store = ownStore();
    const vars = { ...store.vars, BLOCKED_USER_AGENTS: "crawler" };
    for (const extra of [{}, OWNER]) {
      const headers = { ...BROWSER, ...extra, "user-agent": "FriendlyCrawler/1.0" };
      const stats = await answerOf("/stats", headers, vars);
      expect(stats.status).toBe(404);
      expect(stats.body).toContain("nginx");
      expect(stats).toEqual(await answerOf("/elsewhere", headers, vars));
    }
    await settle(store.vars);
  });
});
