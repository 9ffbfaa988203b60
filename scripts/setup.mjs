// `npm run setup -- mirror.example.com [--subdomains docker,ghcr,quay] [options]`: writes wrangler.toml's production
// environment for exactly the host names named (never a whole zone), says which of them Cloudflare's free Universal
// SSL certificate covers, and prints the commands left to run. Running it again replaces what it wrote before.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { defaultConfigPath, readRawConfig } from "./wrangler-config.mjs";

const USAGE = `usage: npm run setup -- <domain> [--subdomains docker,ghcr,quay] [--zone example.com] [--routes]
                     [--r2 [bucket]] [--rate-limit <requests per minute>] [--users] [--dockerhub]
  <domain>       the mirror's own host name, e.g. mirror.example.com (Docker Hub, and every registry by path prefix)
  --subdomains   route names that get a host of their own in the zone: ghcr -> ghcr.example.com
  --zone         your Cloudflare zone (default: <domain> without its first label, or <domain> if it has two)
  --routes       attach zone routes (host/*; you add proxied DNS records) instead of Custom Domains (Cloudflare adds them)
  --r2           bind an R2 bucket (default name edgehub-blobs) behind the edge cache
  --rate-limit   a per-client limit, requests per minute
  --users        mirror users: clients must docker login (prints the secrets to set)
  --dockerhub    pull with your Docker Hub account (prints the secrets to set)`;

/** Where the written environment starts; everything from this line to the end of the file is setup's. */
export const MARKER = "# ---- [env.production]: written by `npm run setup`";
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function fail(message) {
  console.error(`setup: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseHostName(value, what) {
  const host = value.trim().toLowerCase().replace(/\.$/, "");
  const labels = host.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)))
    fail(`${what} "${value}" is not a host name such as mirror.example.com`);
  return host;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    subdomains: { type: "string", default: "" },
    zone: { type: "string" },
    routes: { type: "boolean", default: false },
    r2: { type: "boolean", default: false },
    "rate-limit": { type: "string" },
    users: { type: "boolean", default: false },
    dockerhub: { type: "boolean", default: false },
    config: { type: "string", default: defaultConfigPath },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length < 1 || positionals.length > 2) fail("name the mirror's domain, once");
const domain = parseHostName(positionals[0], "domain");
// `--r2 my-bucket` reads as a flag and a positional: take the second positional as the bucket's name.
if (positionals[1] !== undefined && !values.r2) fail(`unexpected argument "${positionals[1]}"`);
const labels = domain.split(".");
const zone = values.zone ? parseHostName(values.zone, "zone") : labels.length > 2 ? labels.slice(1).join(".") : domain;
if (domain !== zone && !domain.endsWith(`.${zone}`)) fail(`${domain} is not in the zone ${zone}`);
const subdomainLabels = [
  ...new Set(
    values.subdomains
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  ),
];
for (const label of subdomainLabels)
  if (!LABEL.test(label)) fail(`subdomain "${label}" is not a DNS label (a route name such as ghcr)`);
const subdomainHosts = subdomainLabels.map((label) => `${label}.${zone}`).filter((host) => host !== domain);
const rateLimitArg = values["rate-limit"] === undefined ? undefined : Number(values["rate-limit"]);
if (rateLimitArg !== undefined && !(Number.isInteger(rateLimitArg) && rateLimitArg > 0))
  fail("--rate-limit takes a whole number of requests per minute");

const configPath = values.config;
const text = readFileSync(configPath, "utf8");
const kept = text.includes(MARKER) ? text.slice(0, text.indexOf(MARKER)).trimEnd() : text.trimEnd();
const raw = await readRawConfig(configPath);
const previous = raw.env?.production?.vars ?? {};
// A binding enabled at the top level is enabled in production too: wrangler does not inherit bindings, and warns.
const bucket = values.r2 ? (positionals[1] ?? "edgehub-blobs") : raw.r2_buckets?.[0]?.bucket_name;
const rateLimit = rateLimitArg ?? raw.ratelimits?.[0]?.simple?.limit;

// Production gets every top-level variable (wrangler does not inherit vars), keeping values set in an earlier run.
const vars = { ...raw.vars, ...previous, MIRROR_HOST: domain, MIRROR_SUBDOMAINS: subdomainHosts.join(",") };
if (values.dockerhub && !values.users) vars.SHARE_UPSTREAM_CREDENTIALS = "true";
const hosts = [domain, ...subdomainHosts];
const routeLines = hosts.map((host) =>
  values.routes
    ? `  { pattern = "${host}/*", zone_name = "${zone}" },`
    : `  { pattern = "${host}", custom_domain = true },`,
);
const command = [
  "npm run setup --",
  domain,
  ...(subdomainLabels.length ? ["--subdomains", subdomainLabels.join(",")] : []),
  ...(values.zone ? ["--zone", zone] : []),
  ...(values.routes ? ["--routes"] : []),
  ...(bucket ? ["--r2", bucket] : []),
  ...(rateLimit ? ["--rate-limit", String(rateLimit)] : []),
  ...(values.users ? ["--users"] : []),
  ...(values.dockerhub ? ["--dockerhub"] : []),
].join(" ");
const section = [
  `${MARKER} (${command}); run it again to change. ----`,
  "# Everything below is replaced when setup runs again; variables you edit here are kept. Production is a Worker of",
  "# its own (edgehub-production), served only on the host names below, not on workers.dev.",
  "[env.production]",
  "workers_dev = false",
  "routes = [",
  ...routeLines,
  "]",
  "",
  "[env.production.vars]",
  ...Object.entries(vars).map(([name, value]) => `${name} = ${JSON.stringify(String(value))}`),
  "",
  `# An R2 bucket behind the edge cache (see [[r2_buckets]] above). Create it first: npx wrangler r2 bucket create ${bucket ?? "edgehub-blobs"}`,
  ...prefixUnless(bucket, [
    "[[env.production.r2_buckets]]",
    'binding = "BLOBS"',
    `bucket_name = "${bucket ?? "edgehub-blobs"}"`,
  ]),
  "",
  "# A per-client request limit (see [[ratelimits]] above).",
  ...prefixUnless(rateLimit, [
    "[[env.production.ratelimits]]",
    'name = "RATE_LIMITER"',
    'namespace_id = "1001"',
    `simple = { limit = ${rateLimit ?? 300}, period = 60 }`,
  ]),
];
writeFileSync(configPath, `${kept}\n\n${section.join("\n")}\n`);

function prefixUnless(enabled, lines) {
  return enabled ? lines : lines.map((line) => `# ${line}`);
}

const covered = hosts.filter((host) => host === zone || host.split(".").length === zone.split(".").length + 1);
const uncovered = hosts.filter((host) => !covered.includes(host));
const out = [
  `Wrote [env.production] to ${configPath}: the Worker edgehub-production, on these host names only:`,
  ...hosts.map(
    (host) =>
      `  https://${host}/  ${host === domain ? `Docker Hub, and every registry by path prefix (${host}/ghcr.io/owner/image)` : `the ${host.split(".")[0]} route`}`,
  ),
  values.routes
    ? `as zone routes (${hosts.map((h) => `${h}/*`).join(", ")}): add a proxied DNS record for each name (any address, e.g. AAAA 100::).`
    : "as Workers Custom Domains: wrangler creates each DNS record and certificate at deploy (a name that already has a DNS record must be freed first).",
  "",
  `Universal SSL (the free certificate) covers ${zone} and its first-level subdomains (*.${zone}) only:`,
  `  covered:     ${covered.join(", ") || "(none)"}`,
  ...(uncovered.length
    ? [
        `  not covered: ${uncovered.join(", ")} (a name two levels below ${zone} needs an advanced certificate, a paid option; pick a first-level name instead)`,
      ]
    : []),
  "",
  "Next, run:",
  ...(bucket ? [`  npx wrangler r2 bucket create ${bucket}`] : []),
  ...(values.users
    ? [
        "  npx wrangler secret put MIRROR_USERS --env production          # user:a-long-password (comma-separated for more)",
        "  npx wrangler secret put MIRROR_TOKEN_SECRET --env production   # paste the output of: openssl rand -base64 48",
      ]
    : []),
  ...(values.dockerhub
    ? [
        "  npx wrangler secret put DOCKERHUB_USERNAME --env production",
        `  npx wrangler secret put DOCKERHUB_TOKEN --env production       # a personal access token${values.users ? "" : ', "Public Repo Read-only"'}`,
      ]
    : []),
  ...(values.dockerhub && !values.users
    ? [
        '  (SHARE_UPSTREAM_CREDENTIALS = "true" was set: anonymous clients pull with that token, so it must read public repositories only.)',
      ]
    : []),
  "  npm run check     # validates every environment's variables, as the Worker will",
  "  npm run deploy    # ships [env.production]",
];
console.log(out.join("\n"));
