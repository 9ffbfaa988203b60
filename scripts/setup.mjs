// `npm run setup -- mirror.example.com [--subdomains ghcr,quay] [options]` or `npm run setup -- --workers-dev [options]`:
// saves the choices in edgehub.setup.json (gitignored; wrangler.toml is never edited, so `git pull` merges cleanly),
// says which host names Cloudflare's free certificate covers, and prints the commands left to run. Running it again
// replaces the earlier choices (the `vars` you added to the file are kept).
import { readFileSync } from "node:fs";
import { parseCommandLine, usageError } from "./cli.mjs";
import { effectiveConfig, setupEnvironment } from "./effective-config.mjs";
import {
  choicesProblem,
  DEFAULT_BUCKET,
  isBucketName,
  isHostName,
  isLabel,
  readSetup,
  setupPath,
  writeSetup,
} from "./setup-file.mjs";
import { setupReport } from "./setup-report.mjs";
import { routeNames } from "./worker-config.mjs";
import { defaultConfigPath, readRawConfig } from "./wrangler-config.mjs";

const USAGE = `usage: npm run setup -- <domain> [--subdomains ghcr,quay] [--zone example.com] [--routes] [options]
       npm run setup -- --workers-dev [options]
options: [--r2 [bucket]] [--rate-limit <requests per minute>] [--users] [--dockerhub] [--stats]; --help explains each`;
const HELP = `${USAGE}
  <domain>       the mirror's own host name, e.g. mirror.example.com (Docker Hub, and every registry by path prefix)
  --workers-dev  no domain: set the options of the default environment, on https://edgehub.<account>.workers.dev
  --subdomains   route names that get a host of their own in the zone: ghcr -> ghcr.example.com
  --zone         your Cloudflare zone (default: <domain> without its first label, or <domain> if it has two)
  --routes       attach zone routes (host/*; you add proxied DNS records) instead of Custom Domains (Cloudflare adds them)
  --r2           bind an R2 bucket (default name ${DEFAULT_BUCKET}) behind the edge cache
  --rate-limit   a per-client limit, requests per minute
  --users        mirror users: clients must docker login (prints the secrets to set)
  --dockerhub    pull with your Docker Hub account (prints the secrets to set)
  --stats        /stats, the mirror's usage counts, in a Durable Object (prints the secret to set)`;
const OLD_MARKER = "# ---- [env.production]: written by `npm run setup`";

const fail = (mistake) => usageError("setup", mistake, USAGE);

// `--r2` takes an optional bucket name: `--r2 name` (a bucket name has no dot, a domain has) becomes `--r2=name`.
const args = process.argv.slice(2).flatMap((arg, i, all) => {
  if (arg !== "--r2") return all[i - 1] === "--r2" && !arg.startsWith("-") && !arg.includes(".") ? [] : [arg];
  const next = all[i + 1];
  return [next !== undefined && !next.startsWith("-") && !next.includes(".") ? `--r2=${next}` : "--r2="];
});
const { values, positionals } = parseCommandLine(
  "setup",
  USAGE,
  {
    "workers-dev": { type: "boolean", default: false },
    subdomains: { type: "string", default: "" },
    zone: { type: "string" },
    routes: { type: "boolean", default: false },
    r2: { type: "string" },
    "rate-limit": { type: "string" },
    users: { type: "boolean", default: false },
    dockerhub: { type: "boolean", default: false },
    stats: { type: "boolean", default: false },
    config: { type: "string", default: defaultConfigPath },
    help: { type: "boolean", default: false },
  },
  args,
);
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const notes = [];
const domain = values["workers-dev"] ? null : parseDomain(positionals);
if (values["workers-dev"] && positionals.length) fail(`--workers-dev takes no domain (got "${positionals[0]}")`);
if (domain === null)
  for (const flag of ["subdomains", "zone", "routes"])
    if (values[flag]) fail(`--${flag} needs a domain; on workers.dev every registry is reached by path prefix`);
const zone = domain === null ? null : parseZone(domain);
const bucket = values.r2 === undefined ? null : values.r2 || DEFAULT_BUCKET;
if (bucket !== null && !isBucketName(bucket))
  fail(
    `--r2 ${JSON.stringify(bucket)} is not an R2 bucket name: 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit`,
  );
const rateLimit = values["rate-limit"] === undefined ? null : Number(values["rate-limit"]);
if (rateLimit !== null && !(/^\d+$/.test(values["rate-limit"]) && rateLimit > 0))
  fail(`--rate-limit ${JSON.stringify(values["rate-limit"])} is not a whole number of requests per minute`);
// A --config that is missing or not TOML is the user's mistake: one line, not wrangler's stack trace.
const raw = await readRawConfig(values.config).catch((error) => fail(String(error.message).split("\n")[0]));
const subdomains = await parseSubdomains(values.subdomains, raw.vars?.UPSTREAMS);

let previousVars = {};
try {
  previousVars = readSetup(values.config)?.vars ?? {};
} catch (error) {
  notes.push(`note: ${error.message}; replacing it`);
}
const choices = {
  domain,
  zone,
  subdomains,
  routes: values.routes,
  r2: bucket,
  rateLimit,
  users: values.users,
  dockerhub: values.dockerhub,
  stats: values.stats,
  vars: previousVars,
};
choices.command = commandOf(choices);
const problem = choicesProblem(choices);
if (problem) fail(problem);
if (readFileSync(values.config, "utf8").includes(OLD_MARKER))
  notes.push(
    `note: ${values.config} still has the [env.production] section an earlier setup appended; setup now keeps its choices in ${setupPath(values.config)}: run git checkout -- wrangler.toml to drop it`,
  );
writeSetup(values.config, choices);
const { path: effectivePath } = await effectiveConfig(values.config);
const report = setupReport(choices, { configPath: values.config, effectivePath }, setupEnvironment(choices));
console.log([...notes, ...report].join("\n"));

/** The command that makes these choices again. */
function commandOf(c) {
  return [
    "npm run setup --",
    ...(c.domain === null ? ["--workers-dev"] : [c.domain, "--zone", c.zone]),
    ...(c.subdomains.length ? ["--subdomains", c.subdomains.join(",")] : []),
    ...(c.routes ? ["--routes"] : []),
    ...(c.r2 ? ["--r2", c.r2] : []),
    ...(c.rateLimit ? ["--rate-limit", String(c.rateLimit)] : []),
    ...["users", "dockerhub", "stats"].filter((flag) => c[flag]).map((flag) => `--${flag}`),
  ].join(" ");
}

/** The domain positional: scheme and trailing slash stripped (with a note), workers.dev sent to --workers-dev. */
function parseDomain([given, extra]) {
  if (given === undefined) fail("name the mirror's domain (or use --workers-dev)");
  if (extra !== undefined) fail(`unexpected argument "${extra}"`);
  const host = given
    .trim()
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/\/+$/, "")
    .replace(/\.$/, "");
  if (!isHostName(host)) fail(`domain "${given}" is not a host name such as mirror.example.com`);
  if (host.endsWith(".workers.dev"))
    usageError(
      "setup",
      `${host} is a workers.dev host, not a domain of yours: run npm run setup -- --workers-dev [options]`,
      USAGE,
    );
  if (host !== given.trim().toLowerCase()) notes.push(`note: using the host name ${host} (from "${given}")`);
  return host;
}

/** --zone, or the assumed zone, said out loud: a wrong guess would fail only at deploy. */
function parseZone(host) {
  if (values.zone !== undefined) {
    const zone = values.zone.trim().toLowerCase().replace(/\.$/, "");
    if (!isHostName(zone)) fail(`zone "${values.zone}" is not a host name such as example.com`);
    if (host !== zone && !host.endsWith(`.${zone}`)) fail(`${host} is not in the zone ${zone}`);
    return zone;
  }
  const labels = host.split(".");
  const zone = labels.length > 2 ? labels.slice(1).join(".") : host;
  const other = labels.length > 3 ? labels.slice(-2).join(".") : undefined;
  notes.push(
    `note: assumed the Cloudflare zone ${zone}${labels.length > 2 ? ` (${host} without its first label)` : ""}; if your zone is another, run setup again with --zone ${other ?? "<zone>"}`,
  );
  return zone;
}

/** --subdomains: route names of the Worker's own upstream table (UPSTREAMS included); an unknown one is refused. */
async function parseSubdomains(list, upstreams) {
  const labels = [
    ...new Set(
      list
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  let routes;
  try {
    routes = await routeNames(upstreams);
  } catch (error) {
    fail(`wrangler.toml's UPSTREAMS is malformed (${error.message}); fix it first (npm run check)`);
  }
  for (const label of labels)
    if (!isLabel(label) || !routes.includes(label))
      fail(`--subdomains: "${label}" is not a route name (routes: ${routes.join(", ")})`);
  if (domain !== null) {
    const first = domain.split(".")[0];
    if (routes.includes(first))
      notes.push(
        `note: ${domain} begins with the route name "${first}"; as the mirror's own domain it is meant to serve Docker Hub, yet a client or an older edgehub may read it as the ${first} route: prefer a name that is not a route (e.g. mirror.${zoneOf(domain)})`,
      );
  }
  return labels;
}

function zoneOf(host) {
  return host.split(".").slice(1).join(".");
}
