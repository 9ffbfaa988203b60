// edgehub.setup.json: what `npm run setup` chose, beside wrangler.toml and gitignored, so a `git pull` of a new version
// never meets a local edit of a tracked file. wrangler.toml stays as shipped; effective-config.mjs combines the two.
// Everything read back is validated as setup validates it, so a hand edit cannot smuggle a value past the checks.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SECRETS } from "./secrets.mjs";

export const SETUP_FILE = "edgehub.setup.json";
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** R2's rule: 3-63 characters, lower-case letters, digits and hyphens, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const VARIABLE = /^[A-Z][A-Z0-9_]*$/;
export const DEFAULT_BUCKET = "edgehub-blobs";

/** Where setup's choices for the config at configPath live. */
export function setupPath(configPath) {
  return join(dirname(configPath), SETUP_FILE);
}

/** A DNS name of two labels or more, lower-case; no scheme, port or path (a hand edit may put any JSON value here). */
export function isHostName(host) {
  if (typeof host !== "string") return false;
  const labels = host.split(".");
  return labels.length > 1 && labels.every((label) => LABEL.test(label));
}

/** A DNS label, such as a route name given to --subdomains. */
export function isLabel(label) {
  return LABEL.test(label);
}

/** An R2 bucket name by R2's rules. */
export function isBucketName(name) {
  return BUCKET.test(name);
}

/** The first thing wrong with a set of choices, or undefined. */
export function choicesProblem(c) {
  if (c.domain !== null && !isHostName(c.domain)) return `domain ${JSON.stringify(c.domain)} is not a host name`;
  if (c.domain !== null && !isHostName(c.zone ?? "")) return `zone ${JSON.stringify(c.zone)} is not a host name`;
  if (c.domain !== null && c.domain !== c.zone && !c.domain.endsWith(`.${c.zone}`))
    return `${c.domain} is not in the zone ${c.zone}`;
  if (!Array.isArray(c.subdomains) || !c.subdomains.every((s) => typeof s === "string" && isLabel(s)))
    return "subdomains must be route names (DNS labels)";
  if (c.domain === null && c.subdomains.length) return "subdomains need a domain";
  if (c.r2 !== null && !(typeof c.r2 === "string" && isBucketName(c.r2)))
    return `R2 bucket ${JSON.stringify(c.r2)} is not a bucket name: 3-63 lower-case letters, digits and hyphens, starting and ending with a letter or digit`;
  // A safe integer: a larger one would be written rounded, not as given.
  if (c.rateLimit !== null && !(Number.isSafeInteger(c.rateLimit) && c.rateLimit > 0))
    return "the rate limit must be a whole number of requests per minute";
  for (const flag of ["routes", "users", "dockerhub", "stats"])
    if (typeof c[flag] !== "boolean") return `${flag} must be true or false`;
  if (typeof c.vars !== "object" || c.vars === null || Array.isArray(c.vars)) return "vars must be an object";
  for (const [name, value] of Object.entries(c.vars)) {
    if (!VARIABLE.test(name) || typeof value !== "string") return `vars.${name} must be a NAME with a string value`;
    if (SECRETS.includes(name))
      return `vars.${name} is a secret: set it with npx wrangler secret put ${name}, never in a file`;
  }
  return undefined;
}

/** setup's choices for the config at configPath, or undefined when setup never ran there. Throws on a bad file. */
export function readSetup(configPath) {
  const path = setupPath(configPath);
  if (!existsSync(path)) return undefined;
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new Error(`${path} is not valid JSON: run npm run setup again`);
  }
  // Spread below, an array, a string or null would pass as "no choices" and the file's mistake would go unnoticed.
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${path} is not a JSON object: run npm run setup again`);
  const choices = {
    domain: null,
    zone: null,
    subdomains: [],
    routes: false,
    r2: null,
    rateLimit: null,
    users: false,
    dockerhub: false,
    stats: false,
    vars: {},
    ...parsed,
  };
  const problem = choicesProblem(choices);
  if (problem) throw new Error(`${path}: ${problem}`);
  return choices;
}

/** Writes the choices as JSON (which no value can break out of), keeping `vars` the user added to an earlier run. */
export function writeSetup(configPath, choices) {
  const text = JSON.stringify(
    {
      $comment:
        "Written by `npm run setup` (gitignored; wrangler.toml is never edited). Run setup again to change these choices. `vars` is yours: variables that override wrangler.toml's [vars] in the environment setup writes, kept when setup runs again.",
      ...choices,
    },
    null,
    2,
  );
  writeFileSync(setupPath(configPath), `${text}\n`);
}
