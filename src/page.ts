/**
 * What a browser (or an API client) sees at `/`: how to use this host, with the real hostname filled in.
 */
import type { Config } from "./config";

/** Answers `/`: a short HTML guide for browsers, a JSON description for everything else. */
export function renderHome(request: Request, config: Config): Response {
  const url = new URL(request.url);
  const routes = [...config.upstreams.values()].map((u) => ({ route: u.name, registry: u.hosts[0]!, upstream: u.registry }));
  const wantsHtml = (request.headers.get("accept") ?? "").includes("text/html");
  const body = wantsHtml
    ? renderHtml(url.host, url.origin, routes)
    : JSON.stringify({ name: "edgehub", description: "pull-through mirror of Docker Hub and other OCI registries", routes });
  const headers = {
    "content-type": wantsHtml ? "text/html; charset=utf-8" : "application/json; charset=utf-8",
    "cache-control": "no-store",
    vary: "Accept",
  };
  return new Response(request.method === "HEAD" ? null : body, { headers });
}

interface RouteRow {
  route: string;
  registry: string;
}

function renderHtml(host: string, origin: string, routes: RouteRow[]): string {
  const h = escapeHtml(host);
  const rows = routes
    .map((r) => `<tr><td><code>${escapeHtml(r.route)}.</code></td><td><code>${h}/v2/${escapeHtml(r.registry)}/…</code></td><td>${escapeHtml(r.registry)}</td></tr>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h} · registry mirror</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}
pre{background:#8882;padding:.75rem;overflow:auto}td{padding:.2rem .6rem}@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}}</style></head>
<body><h1>${h}</h1><p>A pull-through mirror of Docker Hub and other OCI registries.</p>
<h2>Docker</h2><p>In <code>/etc/docker/daemon.json</code>, then restart Docker:</p>
<pre>{ "registry-mirrors": ["${escapeHtml(origin)}"] }</pre>
<p>Or pull directly: <code>docker pull ${h}/library/nginx</code></p>
<h2>Registries</h2><table><tr><th>subdomain</th><th>path prefix</th><th>registry</th></tr>${rows}</table>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
