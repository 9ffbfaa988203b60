// The configuration wrangler is given: the committed wrangler.toml plus what `npm run setup` chose (edgehub.setup.json),
// written to .wrangler/edgehub/wrangler.jsonc (gitignored) and passed with --config. Without a setup file it is
// wrangler.toml itself. Setup never edits wrangler.toml, so a `git pull` of a new version merges cleanly and the next
// start, check, build or deploy carries both the new wrangler.toml and the same choices.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { readSetup } from "./setup-file.mjs";
import { defaultConfigPath, readRawConfig } from "./wrangler-config.mjs";

/** The Durable Object behind /stats (owned by src/; the names are agreed in SIGNALS.md). */
const STATS_BINDING = { name: "STATS", class_name: "StatsStore" };
const STATS_MIGRATION = { tag: "v1", new_sqlite_classes: ["StatsStore"] };

/** Where the effective configuration for the config at configPath is written. */
export function effectivePath(configPath) {
  return join(dirname(configPath), ".wrangler", "edgehub", "wrangler.jsonc");
}

/**
 * `{ path, raw, setup }`: the config file to hand wrangler, its content as wrangler reads it, and setup's choices
 * (undefined when setup never ran, and then path is configPath itself).
 */
export async function effectiveConfig(configPath = defaultConfigPath) {
  const raw = await readRawConfig(configPath);
  const setup = readSetup(configPath);
  if (!setup) return { path: configPath, raw, setup };
  const combined = applyChoices(raw, setup, dirname(configPath));
  const path = effectivePath(configPath);
  mkdirSync(dirname(path), { recursive: true });
  const header = `// Generated from ${configPath} and edgehub.setup.json by scripts/effective-config.mjs; edits here are lost.`;
  writeFileSync(path, `${header}\n${JSON.stringify(combined, null, 2)}\n`);
  return { path, raw: combined, setup };
}

/** The environment setup's choices apply to: "production" with a domain, the default ("") with --workers-dev. */
export function setupEnvironment(setup) {
  return setup.domain === null ? "" : "production";
}

/** wrangler.toml's content with setup's choices applied; wrangler inherits neither vars nor bindings, so each is copied. */
export function applyChoices(raw, setup, configDir) {
  const combined = structuredClone(raw);
  combined.main = resolve(configDir, raw.main);
  if (setup.stats) {
    combined.durable_objects = { bindings: withStats(raw.durable_objects?.bindings ?? []) };
    const migrations = raw.migrations ?? [];
    const declared = migrations.some((m) => JSON.stringify(m).includes(`"${STATS_BINDING.class_name}"`));
    combined.migrations = declared ? migrations : [...migrations, STATS_MIGRATION];
  }
  const bindings = {
    ...(setup.r2 ? { r2_buckets: [{ binding: "BLOBS", bucket_name: setup.r2 }] } : pick(raw, "r2_buckets")),
    ...(setup.rateLimit
      ? { ratelimits: [{ name: "RATE_LIMITER", namespace_id: "1001", simple: { limit: setup.rateLimit, period: 60 } }] }
      : pick(raw, "ratelimits")),
    ...pick(combined, "durable_objects"),
  };
  const share = setup.dockerhub && !setup.users ? { SHARE_UPSTREAM_CREDENTIALS: "true" } : {};
  if (setup.domain === null) {
    Object.assign(combined, bindings, { vars: { ...raw.vars, ...share, ...setup.vars } });
    return combined;
  }
  const hosts = [setup.domain, ...subdomainHosts(setup)];
  combined.env = {
    ...raw.env,
    production: {
      workers_dev: false,
      routes: hosts.map((host) =>
        setup.routes ? { pattern: `${host}/*`, zone_name: setup.zone } : { pattern: host, custom_domain: true },
      ),
      vars: {
        ...raw.vars,
        MIRROR_HOST: setup.domain,
        MIRROR_SUBDOMAINS: subdomainHosts(setup).join(","),
        ...share,
        ...setup.vars,
      },
      ...bindings,
    },
  };
  return combined;
}

/** The host names of --subdomains: ghcr -> ghcr.<zone>, leaving out the domain itself. */
export function subdomainHosts(setup) {
  return setup.subdomains.map((label) => `${label}.${setup.zone}`).filter((host) => host !== setup.domain);
}

function withStats(bindings) {
  return bindings.some((b) => b.name === STATS_BINDING.name) ? bindings : [...bindings, STATS_BINDING];
}

function pick(object, key) {
  return object[key] === undefined ? {} : { [key]: object[key] };
}
