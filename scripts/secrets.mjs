// The secrets edgehub reads, where each environment gets them (.dev.vars for `npm start`, `wrangler secret list` for a
// deployed Worker), and which secret each feature setup can turn on cannot work without.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { loadVariables } from "./variables.mjs";
import { root } from "./wrangler-config.mjs";

const described = (await loadVariables()).filter((variable) => variable.kind === "secret");

/** Per setup flag, the secrets it needs and what happens without each: `npm run check` fails with that line. */
export const NEEDED_BY = {
  users: [
    ["MIRROR_USERS", "the mirror would be open to anyone"],
    ["MIRROR_TOKEN_SECRET", "the mirror could not sign its tokens, so no docker login would work"],
  ],
  dockerhub: [
    ["DOCKERHUB_USERNAME", "pulls would be anonymous, within Docker Hub's rate limit"],
    ["DOCKERHUB_TOKEN", "pulls would be anonymous, within Docker Hub's rate limit"],
  ],
  stats: [["STATS_TOKEN", "nobody could read /stats"]],
};

/**
 * The command that sets a secret of a deployed environment. wrangler.toml has no [env.production] (setup's choices
 * live elsewhere), so for it the command names the effective configuration, where that environment is defined.
 */
export function secretCommand(name, env, effectivePath) {
  const near = relative(process.cwd(), effectivePath);
  return `npx wrangler secret put ${name}${env ? ` --env ${env} --config ${shellWord(near.startsWith("..") ? effectivePath : near)}` : ""}`;
}

/** A path as one shell word: quoted when it holds a space, `$`, `;` or anything else a shell would act on when pasted. */
function shellWord(path) {
  return /^[\w./@%+,:=-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * The secrets edgehub reads: those src/config/variables.ts describes, and those a setup flag needs (STATS_TOKEN may
 * reach that table later than the flag that needs it). Never in wrangler.toml.
 */
export const SECRETS = [
  ...new Set([
    ...described.map((variable) => variable.name),
    ...Object.values(NEEDED_BY).flatMap((needed) => needed.map(([name]) => name)),
  ]),
];

/**
 * Stand-ins for a secret known by name only: its example from src/config/variables.ts, well-formed, so that what is
 * checked is how the secrets combine with the variables (a Docker Hub token without users or an allow list, say), not
 * values nobody here can read. A secret without one gets a long token.
 */
export const PLACEHOLDERS = Object.fromEntries(
  SECRETS.map((name) => [name, described.find((v) => v.name === name)?.example ?? "placeholder-".repeat(4)]),
);

/** KEY=value lines of a .dev.vars file (dotenv syntax: optional quotes, # comments), or undefined when absent. */
export function readDevVars(path) {
  if (!existsSync(path)) return undefined;
  const found = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!match) continue;
    const raw = match[2];
    found[match[1]] = /^(['"]).*\1$/.test(raw) ? raw.slice(1, -1) : raw.replace(/\s+#.*$/, "");
  }
  return found;
}

/**
 * The names of the secrets a deployed environment has, from `wrangler secret list` ({ names }), or why they cannot be
 * had ({ unavailable }). EDGEHUB_WRANGLER names another wrangler to ask (the tests' fake); in CI nothing is asked.
 */
export function listDeployedSecrets(configPath, env) {
  if (process.env.CI && !/^(false|0)$/i.test(process.env.CI))
    return { unavailable: "in CI, `wrangler secret list` is not asked" };
  const wrangler = process.env.EDGEHUB_WRANGLER || `${root}node_modules/.bin/wrangler`;
  const listed = spawnSync(wrangler, ["secret", "list", "--format", "json", "--config", configPath, `--env=${env}`], {
    encoding: "utf8",
    timeout: 30_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    return { names: JSON.parse(listed.stdout).map((secret) => secret.name) };
  } catch {
    // A Worker not deployed yet has no secrets: Cloudflare's "does not exist" (code 10007) is an answer, not a failure.
    if (/\b10007\b|does not exist/i.test(`${listed.stdout}${listed.stderr}`)) return { names: [] };
    return { unavailable: "`wrangler secret list` could not reach Cloudflare (offline, or not logged in)" };
  }
}
