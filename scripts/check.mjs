// `npm run check`: validates every environment's variables in wrangler.toml (the default and [env.production]) with
// the Worker's own parser (src/config/config.ts, bundled for Node), so a bad value fails here with the message a
// request would get, before it ships. Secrets come from .dev.vars and the process environment when present, else
// from the names `wrangler secret list` reports; it says which. Exits 1 on any error.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { loadVariables } from "./variables.mjs";
import { defaultConfigPath, environments, readRawConfig, root } from "./wrangler-config.mjs";

const secretVariables = (await loadVariables()).filter((variable) => variable.kind === "secret");
/** The secrets edgehub reads, from src/config/variables.ts; never in wrangler.toml. */
export const SECRETS = secretVariables.map((variable) => variable.name);

/**
 * Stand-ins for a secret known by name only: each secret's example, well-formed, so that what is checked is how the
 * secrets combine with the variables (a Docker Hub token without users or an allow list, say), not values nobody
 * here can read.
 */
const PLACEHOLDERS = Object.fromEntries(secretVariables.map((variable) => [variable.name, variable.example]));

const { values } = parseArgs({ options: { config: { type: "string", default: defaultConfigPath } } });

/** KEY=value lines of a .dev.vars file (dotenv syntax: optional quotes, # comments). */
function readDevVars(path) {
  if (!existsSync(path)) return {};
  const found = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!match) continue;
    const raw = match[2];
    found[match[1]] = /^(['"]).*\1$/.test(raw) ? raw.slice(1, -1) : raw.replace(/\s+#.*$/, "");
  }
  return found;
}

/** The secrets an environment will have, and where that knowledge came from. */
function secretsFor(env, configDir) {
  const local = {
    ...readDevVars(`${configDir}.dev.vars`),
    ...(env ? readDevVars(`${configDir}.dev.vars.${env}`) : {}),
  };
  const fromFiles = Object.fromEntries(
    SECRETS.filter((name) => local[name] !== undefined).map((name) => [name, local[name]]),
  );
  const fromProcess = Object.fromEntries(
    SECRETS.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]),
  );
  if (Object.keys(fromFiles).length + Object.keys(fromProcess).length > 0) {
    return { secrets: { ...fromFiles, ...fromProcess }, source: ".dev.vars and the process environment" };
  }
  const listed = spawnSync(
    `${root}node_modules/.bin/wrangler`,
    ["secret", "list", "--format", "json", "--config", values.config, `--env=${env}`],
    {
      encoding: "utf8",
      timeout: 30_000,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  try {
    const names = JSON.parse(listed.stdout)
      .map((secret) => secret.name)
      .filter((name) => SECRETS.includes(name));
    return {
      secrets: Object.fromEntries(names.map((name) => [name, PLACEHOLDERS[name]])),
      source: "the names `wrangler secret list` reports (values not checked)",
    };
  } catch {
    return {
      secrets: {},
      source:
        "none: no .dev.vars, none in the process environment, and `wrangler secret list` could not reach Cloudflare",
    };
  }
}

/** The Worker's configuration parser, bundled from src/ for Node. */
async function loadParser() {
  const bundle = await build({
    entryPoints: [`${root}src/config/config.ts`],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    logLevel: "silent",
  });
  return import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
}

/** Stand-ins for the bindings an environment declares: what the parser checks is that they are bound and of a kind. */
function bindingsOf(rawEnv) {
  const bindings = {};
  for (const bucket of rawEnv.r2_buckets ?? []) bindings[bucket.binding] = { get() {}, put() {}, head() {} };
  for (const limiter of rawEnv.ratelimits ?? []) bindings[limiter.name] = { limit: async () => ({ success: true }) };
  return bindings;
}

const raw = await readRawConfig(values.config);
const { parseConfig } = await loadParser();
const configDir = values.config.slice(0, values.config.lastIndexOf("/") + 1);
let failures = 0;
for (const { name, vars } of environments(raw)) {
  const label = name ? `[env.${name}]` : "default environment";
  const { secrets, source } = secretsFor(name, configDir);
  const rawEnv = name ? raw.env[name] : raw;
  try {
    parseConfig({ ...vars, ...secrets, ...bindingsOf(rawEnv) });
    console.log(
      `ok    ${label}: ${Object.keys(vars).length} variables; secrets from ${source}${Object.keys(secrets).length ? `: ${Object.keys(secrets).join(", ")}` : ""}`,
    );
  } catch (error) {
    failures++;
    console.error(`error ${label}: ${error.message}\n      (secrets from ${source})`);
  }
}
process.exit(failures ? 1 : 0);
