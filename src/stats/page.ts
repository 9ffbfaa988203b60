/**
 * The owner's page: totals, three charts of the last 48 hours and the most pulled repositories, in the guide's style
 * and under its Content-Security-Policy. Or the same numbers as JSON, for scripts.
 */
import { guideHead } from "../pages/assets";
import { escapeHtml } from "../pages/html";
import { barChart } from "./chart";
import type { Summary } from "./counts";

/** Share of cache lookups answered with cached bytes (hits, revalidated, stale), or undefined with no lookups. */
export function hitRatio(cache: Summary["cache"]): number | undefined {
  const served = cache.hits + cache.revalidated + cache.stale;
  const asked = served + cache.misses;
  return asked === 0 ? undefined : served / asked;
}

/** The statistics page for `host`. */
export function renderStats(summary: Summary, host: string, version: string): string {
  const ratio = hitRatio(summary.cache);
  const hour = (start: string) => `${start.slice(0, 13).replace("T", " ")}:00 UTC`;
  const rows: [string, string][] = [
    ["Requests", count(summary.requests)],
    ["Pulls (manifests by tag)", count(summary.pulls)],
    ["Hit ratio", ratio === undefined ? "–" : percent(ratio)],
    ["Upstream requests avoided", count(summary.upstreamRequestsAvoided)],
    [
      "Cache: hits, misses, revalidated, stale",
      [summary.cache.hits, summary.cache.misses, summary.cache.revalidated, summary.cache.stale].map(count).join(" · "),
    ],
    ["Bytes from cache", bytes(summary.bytes.fromCache)],
    ["Bytes from upstream", bytes(summary.bytes.fromUpstream)],
    ["Rate limited (429)", count(summary.rateLimited)],
  ];
  const requests = summary.hours.map((h) => ({ value: h.requests, title: `${hour(h.start)}: ${h.requests} requests` }));
  const pulls = summary.hours.map((h) => ({ value: h.pulls, title: `${hour(h.start)}: ${h.pulls} pulls` }));
  const ratios = summary.hours.map((h) => {
    const r = hitRatio(h);
    return {
      value: r === undefined ? undefined : Math.round(r * 100),
      title: `${hour(h.start)}: ${r === undefined ? "no lookups" : percent(r)}`,
    };
  });
  const top = summary.top.length
    ? summary.top
        .map(
          (t) =>
            `<tr><td><code>${escapeHtml(t.repository)}</code><small>${escapeHtml(t.route)}</small></td><td>${count(t.pulls)}</td></tr>`,
        )
        .join("\n")
    : `<tr><td>No pulls yet</td><td></td></tr>`;
  return `${guideHead(`${escapeHtml(host)} · mirror statistics`)}
<body>
<main>
<header>
<p class="tag">Mirror statistics</p>
<h1>${escapeHtml(host)}</h1>
<p class="lede">${summary.since ? `Since ${escapeHtml(hour(summary.since))}` : "Nothing counted yet"}; hours are kept 30 days. Each isolate writes its counts every 10 seconds.</p>
</header>
<section id="totals">
<h2>Totals</h2>
<div class="table"><table><tbody>
${rows.map(([name, value]) => `<tr><td>${name}</td><td>${value}</td></tr>`).join("\n")}
</tbody></table></div>
</section>
<section id="hours">
<h2>Last 48 hours</h2>
<p>Requests per hour</p>
${barChart("Requests per hour, last 48 hours", requests, "#0a66d6")}
<p>Pulls per hour</p>
${barChart("Pulls per hour, last 48 hours", pulls, "#8250df")}
<p>Hit ratio per hour (%)</p>
${barChart("Hit ratio per hour, last 48 hours", ratios, "#1a7f37", 100)}
</section>
<section id="top">
<h2>Most pulled</h2>
<div class="table"><table>
<thead><tr><th>Repository</th><th>Pulls</th></tr></thead>
<tbody>
${top}
</tbody>
</table></div>
</section>
<footer>edgehub ${escapeHtml(version)} · the same as JSON with <code>Accept: application/json</code></footer>
</main>
</body>
</html>
`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function bytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
