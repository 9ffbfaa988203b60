/**
 * The landing page: how to use this mirror, for this host, with a copy button on every snippet. One self-contained
 * HTML document (inline style and script, no fonts or images from anywhere) of a few kilobytes.
 */
import type { RateLimitSeen } from "../upstream/quota";
import { GUIDE_SCRIPT, guideHead } from "./assets";
import { escapeHtml, renderProse } from "./html";
import type { Site, SiteRoute } from "./site";
import { buildSections, type Section, type Snippet } from "./snippets";

/** Renders the guide for a site. */
export function renderGuide(site: Site, version: string): string {
  const sections = buildSections(site);
  const host = escapeHtml(site.host);
  const others = site.routes.length - 1;
  const nav = [...sections, { id: "registries", title: "Registries" }]
    .map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`)
    .join("");
  return `${guideHead(`${host} · registry mirror`)}
<body>
<main>
<header>
<p class="tag">Registry mirror</p>
<h1>${host}</h1>
<p class="lede">A pull-through mirror of Docker Hub and ${others} other registr${others === 1 ? "y" : "ies"}. Point your container runtime at it once; image names stay the same. Every snippet below is ready to paste.</p>
<nav aria-label="Sections">${nav}</nav>
</header>
${sections.map(renderSection).join("\n")}
${renderRoutes(site)}
<footer>edgehub ${escapeHtml(version)} · pull-only: pushes are refused.</footer>
</main>
<script>${GUIDE_SCRIPT}</script>
</body>
</html>
`;
}

function renderSection(section: Section): string {
  const steps = section.steps
    .map((step) => `<p>${renderProse(step.before)}</p>\n${renderSnippet(step.snippet)}`)
    .join("\n");
  const after = section.after ? `\n<p class="note">${renderProse(section.after)}</p>` : "";
  return `<section id="${escapeHtml(section.id)}"${section.callout ? ' class="callout"' : ""}>
<h2>${escapeHtml(section.title)}</h2>
${steps}${after}
</section>`;
}

function renderSnippet(snippet: Snippet): string {
  const id = `snippet-${escapeHtml(snippet.id)}`;
  const label = escapeHtml(snippet.label);
  return `<div class="snippet">
<div class="bar"><span>${label}</span><button type="button" class="copy" data-copy="${id}" aria-label="Copy ${label}" aria-live="polite">Copy</button></div>
<pre><code id="${id}">${escapeHtml(snippet.text)}</code></pre>
</div>`;
}

function renderRoutes(site: Site): string {
  const subdomainNote = site.routes.some((r) => r.subdomain && !r.isDefault)
    ? " A registry with a host of its own also answers there, without the prefix; a login for its private images goes to that host."
    : "";
  return `<section id="registries">
<h2>Registries</h2>
<p>Name a registry by its host as the first part of the image name, or let containerd's <code>?ns=</code> choose it.${escapeHtml(subdomainNote)}</p>
<div class="table"><table>
<thead><tr><th>Registry</th><th>Image name through this mirror</th></tr></thead>
<tbody>
${site.routes.map((route) => renderRouteRow(site, route)).join("\n")}
</tbody>
</table></div>
</section>`;
}

function renderRouteRow(site: Site, route: SiteRoute): string {
  const host = escapeHtml(site.host);
  const registry = escapeHtml(route.registry);
  const names = [`${host}/${registry}/owner/image`];
  if (route.isDefault) names.unshift(`${host}/library/nginx`);
  // The default route is what the bare host already serves, so its subdomain adds nothing.
  else if (route.subdomain) names.push(`${escapeHtml(route.subdomain)}/owner/image`);
  const aliases = route.hosts.filter((h) => h !== route.registry).map(escapeHtml);
  const about = [
    route.isDefault ? "default route" : "",
    route.searchable ? "searchable" : "",
    aliases.length ? `also ${aliases.join(", ")}` : "",
    route.fallbacks.length ? `falls back to ${route.fallbacks.map(escapeHtml).join(", then ")}` : "",
    route.rateLimit ? escapeHtml(describeQuota(route.rateLimit)) : "",
  ]
    .filter(Boolean)
    .join(" · ");
  return `<tr><td>${registry}${about ? `<small>${about}</small>` : ""}</td><td>${names.map((n) => `<code>${n}</code>`).join("<br>")}</td></tr>`;
}

/**
 * The quota a route's registry last stated, and whose: the owner's account, or anonymous, which the registry counts
 * per egress IP, and the edge's egress IP varies between requests, so it is one IP's count, not the mirror's.
 */
export function describeQuota(seen: RateLimitSeen): string {
  const count =
    seen.remaining !== undefined && seen.limit !== undefined
      ? `${seen.remaining} of ${seen.limit} left`
      : seen.remaining !== undefined
        ? `${seen.remaining} left`
        : `limit ${seen.limit ?? "?"}`;
  const window = seen.windowSeconds === undefined ? "" : ` per ${formatWindow(seen.windowSeconds)}`;
  const whose =
    seen.whose === "owner" ? "the owner's account" : "anonymous, counted per egress IP, which varies at the edge";
  return `quota last seen: ${count}${window} (${whose}) at ${seen.seenAt}`;
}

function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
