// What `npm run setup` tells the user: where it saved the choices, which host names serve what and whether the free
// certificate covers them, and the exact commands left to run (secrets are never written anywhere by setup).
import { relative } from "node:path";
import { subdomainHosts } from "./effective-config.mjs";
import { NEEDED_BY, secretCommand } from "./secrets.mjs";
import { setupPath } from "./setup-file.mjs";

const HINTS = {
  MIRROR_USERS: "user:a-long-password (comma-separated for more)",
  MIRROR_TOKEN_SECRET: "paste the output of: openssl rand -base64 48",
  STATS_TOKEN: "paste the output of: openssl rand -base64 32",
};

/** The lines setup prints, for choices saved beside configPath and the effective config (at effectivePath) they make. */
export function setupReport(choices, { configPath, effectivePath }, env) {
  const saved = `Saved to ${shown(setupPath(configPath))} (wrangler.toml is unchanged, so git pull merges cleanly)`;
  const where = choices.domain === null ? workersDevLines(choices) : domainLines(choices);
  const secrets = Object.entries(NEEDED_BY)
    .filter(([flag]) => choices[flag])
    .flatMap(([, needed]) => needed.map(([name]) => name))
    .filter((name, i, all) => all.indexOf(name) === i)
    .map((name) => {
      const hint = name === "DOCKERHUB_TOKEN" ? dockerHubHint(choices) : HINTS[name];
      return `  ${secretCommand(name, env, effectivePath)}${hint ? `   # ${hint}` : ""}`;
    });
  return [
    `${saved}: ${choices.domain === null ? "the default environment, on workers.dev" : "the Worker edgehub-production"}`,
    ...features(choices),
    ...where,
    "",
    "Next, run:",
    ...(choices.r2 ? [`  npx wrangler r2 bucket create ${choices.r2}`] : []),
    ...secrets,
    ...(choices.dockerhub && !choices.users
      ? [
          '  (SHARE_UPSTREAM_CREDENTIALS = "true" was set: anonymous clients pull with that token, so it must read public repositories only.)',
        ]
      : []),
    "  npm run check     # validates what npm start and each deploy environment will run, secrets included",
    `  npm run deploy    # ships ${env ? "[env.production]" : "the default environment (workers.dev)"}`,
  ];
}

/** A path as the user would type it from where they ran setup. */
function shown(path) {
  const near = relative(process.cwd(), path);
  return near.startsWith("..") ? path : near;
}

function dockerHubHint(choices) {
  return `a personal access token${choices.users ? "" : ', "Public Repo Read-only"'}`;
}

function features(c) {
  const on = [
    c.r2 && `the R2 bucket ${c.r2} as BLOBS`,
    c.rateLimit && `a limit of ${c.rateLimit} requests per minute per client`,
    c.users && "mirror users (docker login)",
    c.dockerhub && "your Docker Hub account",
    c.stats && "/stats (the STATS Durable Object)",
  ].filter(Boolean);
  return on.length ? [`with ${on.join(", ")}`] : [];
}

function workersDevLines() {
  return [
    "  https://edgehub.<your account>.workers.dev/  Docker Hub, and every registry by path prefix (<host>/ghcr.io/owner/image)",
  ];
}

function domainLines(c) {
  const hosts = [c.domain, ...subdomainHosts(c)];
  const covered = hosts.filter((host) => host === c.zone || host.split(".").length === c.zone.split(".").length + 1);
  const uncovered = hosts.filter((host) => !covered.includes(host));
  return [
    "on these host names only:",
    ...hosts.map(
      (host) =>
        `  https://${host}/  ${host === c.domain ? `Docker Hub, and every registry by path prefix (${host}/ghcr.io/owner/image)` : `the ${host.split(".")[0]} route`}`,
    ),
    c.routes
      ? `as zone routes (${hosts.map((h) => `${h}/*`).join(", ")}): add a proxied DNS record for each name (any address, e.g. AAAA 100::).`
      : "as Workers Custom Domains: wrangler creates each DNS record and certificate at deploy (a name that already has a DNS record must be freed first).",
    "",
    `Universal SSL (the free certificate) covers ${c.zone} and its first-level subdomains (*.${c.zone}) only:`,
    `  covered:     ${covered.join(", ") || "(none)"}`,
    ...(uncovered.length
      ? [
          `  not covered: ${uncovered.join(", ")} (a name two levels below ${c.zone} needs an advanced certificate, a paid option; pick a first-level name instead)`,
        ]
      : []),
    "",
    "A workers.dev Worker deployed before (edgehub) keeps running: once this one serves, remove it with npx wrangler delete edgehub",
  ];
}
