/**
 * The landing page: how to use this mirror, for this host, with a copy button on every snippet, in the visitor's
 * language and a link to the other. One self-contained HTML document (inline style and script, no fonts or images
 * from anywhere) of a few kilobytes.
 */
import type { RateLimitSeen } from "../upstream/quota";
import { GUIDE_SCRIPT, guideHead } from "./assets";
import { escapeHtml, renderProse } from "./html";
import type { Language } from "./language";
import { wordsFor } from "./language";
import { buildSections } from "./sections";
import type { Site, SiteRoute } from "./site";
import type { Section, Snippet, Step } from "./snippets";
import type { Words } from "./words";

/** Renders the guide for a site in a language. */
export function renderGuide(site: Site, version: string, language: Language = "en"): string {
  const words = wordsFor(language);
  const sections = buildSections(site, words);
  const host = escapeHtml(site.host);
  const nav = [...sections, { id: "registries", title: words.registries.title }]
    .map((s) => `<a href="#${s.id}">${escapeHtml(s.title)}</a>`)
    .join("");
  const other = words.other;
  return `${guideHead(escapeHtml(words.title(site.host)), words.htmlLang)}
<body data-label-copy="${escapeHtml(words.copy)}" data-label-copied="${escapeHtml(words.copied)}" data-label-select="${escapeHtml(words.selectIt)}">
<main>
<header>
<p class="tag">${escapeHtml(words.tag)}<a class="lang" href="${other.query}" hreflang="${other.hreflang}" lang="${other.hreflang}">${escapeHtml(other.label)}</a></p>
<h1>${host}</h1>
<p class="lede">${escapeHtml(words.lede(site.routes.length - 1))}</p>
<nav aria-label="${escapeHtml(words.sectionsLabel)}">${nav}</nav>
</header>
${sections.map((section) => renderSection(section, words)).join("\n")}
${renderRoutes(site, words)}
<footer>${escapeHtml(words.footer(version))}</footer>
</main>
<script>${GUIDE_SCRIPT}</script>
</body>
</html>
`;
}

function renderSection(section: Section, words: Words): string {
  const steps = section.steps.map((step) => renderStep(step, words)).join("\n");
  const after = section.after ? `\n<p class="note">${renderProse(section.after)}</p>` : "";
  const items = section.items?.length
    ? `\n<ul>${section.items.map((item) => `<li>${renderProse(item)}</li>`).join("")}</ul>`
    : "";
  return `<section id="${escapeHtml(section.id)}"${section.callout ? ' class="callout"' : ""}>
<h2>${escapeHtml(section.title)}</h2>
${steps}${after}${items}
</section>`;
}

function renderStep(step: Step, words: Words): string {
  const before = `<p>${renderProse(step.before)}</p>`;
  return step.snippet ? `${before}\n${renderSnippet(step.snippet, words)}` : before;
}

function renderSnippet(snippet: Snippet, words: Words): string {
  const id = `snippet-${escapeHtml(snippet.id)}`;
  const label = escapeHtml(snippet.label);
  return `<div class="snippet">
<div class="bar"><span>${label}</span><button type="button" class="copy" data-copy="${id}" aria-label="${escapeHtml(words.copyOf(snippet.label))}" aria-live="polite">${escapeHtml(words.copy)}</button></div>
<pre><code id="${id}">${escapeHtml(snippet.text)}</code></pre>
</div>`;
}

function renderRoutes(site: Site, words: Words): string {
  const w = words.registries;
  const subdomainNote = site.routes.some((r) => r.subdomain && !r.isDefault) ? ` ${w.subdomains}` : "";
  return `<section id="registries">
<h2>${escapeHtml(w.title)}</h2>
<p>${renderProse(w.intro + subdomainNote)}</p>
<div class="table"><table>
<thead><tr><th>${escapeHtml(w.registry)}</th><th>${escapeHtml(w.name)}</th></tr></thead>
<tbody>
${site.routes.map((route) => renderRouteRow(site, route, words)).join("\n")}
</tbody>
</table></div>
</section>`;
}

function renderRouteRow(site: Site, route: SiteRoute, words: Words): string {
  const w = words.registries;
  const host = escapeHtml(site.host);
  const registry = escapeHtml(route.registry);
  const names = [`${host}/${registry}/owner/image`];
  if (route.isDefault) names.unshift(`${host}/library/nginx`);
  // The default route is what the bare host already serves, so its subdomain adds nothing.
  else if (route.subdomain) names.push(`${escapeHtml(route.subdomain)}/owner/image`);
  const aliases = route.hosts.filter((h) => h !== route.registry);
  const about = [
    route.isDefault ? w.defaultRoute : "",
    route.searchable ? w.searchable : "",
    aliases.length ? w.also(aliases.join(", ")) : "",
    route.fallbacks.length ? w.fallsBackTo(route.fallbacks.join(", then ")) : "",
    route.rateLimit ? describeQuota(route.rateLimit, words) : "",
  ]
    .filter(Boolean)
    .map(escapeHtml)
    .join(" · ");
  return `<tr><td>${registry}${about ? `<small>${about}</small>` : ""}</td><td>${names.map((n) => `<code>${n}</code>`).join("<br>")}</td></tr>`;
}

/**
 * The quota a route's registry last stated, and whose: the owner's account, or anonymous, which the registry counts
 * per egress IP, and the edge's egress IP varies between requests, so it is one IP's count, not the mirror's.
 */
export function describeQuota(seen: RateLimitSeen, words: Words): string {
  const count =
    seen.remaining === undefined
      ? ""
      : seen.limit === undefined
        ? String(seen.remaining)
        : `${seen.remaining} of ${seen.limit}`;
  return words.registries.quota({
    count,
    limit: String(seen.limit ?? "?"),
    window: seen.windowSeconds === undefined ? undefined : formatWindow(seen.windowSeconds),
    owner: seen.whose === "owner",
    at: seen.seenAt,
  });
}

function formatWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
