/**
 * `/stats`, for the owner only. Without statistics configured it is not here at all: the caller answers it as any
 * other browser path. With them, a request without the token gets 401 and a Basic challenge (a browser prompts) where
 * the guide is the home page; behind a decoy it gets the decoy, so the page never gives the mirror away.
 */
import { version } from "../../package.json";
import { isStatsOwner, STATS_CHALLENGE } from "../access/stats-owner";
import type { Config } from "../config/config";
import { RegistryError } from "../core/errors";
import { bodyFor } from "../core/http";
import { errorMessage } from "../core/log";
import { guideContentSecurityPolicy } from "../pages/assets";
import { htmlResponse } from "../pages/html";
import { readSummary } from "./client";
import { renderStats } from "./page";
import { flushCounts, STATS_PATH } from "./tally";

/** The owner's page, a 401, or undefined when the request is not the owner's to answer here. */
export async function answerStats(request: Request, url: URL, config: Config): Promise<Response | undefined> {
  const stats = config.stats;
  if (!stats || url.pathname !== STATS_PATH || (request.method !== "GET" && request.method !== "HEAD"))
    return undefined;
  if (!(await isStatsOwner(request, stats.token))) {
    if (config.homePage.mode !== "guide") return undefined;
    throw new RegistryError("UNAUTHORIZED", "the statistics are for the mirror's owner", {
      headers: { "WWW-Authenticate": STATS_CHALLENGE },
    });
  }
  // This isolate's own counts first, so the page includes the requests just made.
  await flushCounts(stats);
  let summary: Awaited<ReturnType<typeof readSummary>>;
  try {
    summary = await readSummary(stats, Date.now());
  } catch (error) {
    throw new RegistryError("UNAVAILABLE", "the statistics store is not answering", { cause: errorMessage(error) });
  }
  const headers: Record<string, string> = {
    "cache-control": "no-store",
    vary: "Accept, Authorization",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  };
  if ((request.headers.get("accept") ?? "").includes("application/json")) {
    const body = bodyFor(request.method, JSON.stringify(summary));
    return new Response(body, { headers: { ...headers, "content-type": "application/json; charset=utf-8" } });
  }
  headers["content-security-policy"] = await guideContentSecurityPolicy();
  return htmlResponse(request, renderStats(summary, url.host, version), { headers });
}
