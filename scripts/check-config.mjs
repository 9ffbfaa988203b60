// What `npm run check` (and, for the environment they ship, build and deploy) checks: each configuration as it will
// run, through the Worker's own parser, so a bad value fails here with the message a request would get.
//   npm start            [vars] (with setup's choices), then .dev.vars over it, then EDGEHUB_VARS: all of it.
//   each deploy target   its own variables, and the secrets `wrangler secret list --env` reports for it (known by name
//                        only, so stand-ins are checked); never the local .dev.vars.
// A feature setup turned on whose secret is missing fails ("MIRROR_USERS is not set: the mirror would be open to
// anyone"). Every line says which sources it used; what could not be checked is said in one line, not passed over.
import { dirname, join } from "node:path";
import { effectiveConfig, setupEnvironment } from "./effective-config.mjs";
import { listDeployedSecrets, NEEDED_BY, PLACEHOLDERS, readDevVars, SECRETS, secretCommand } from "./secrets.mjs";
import { loadWorkerConfig } from "./worker-config.mjs";
import { environments } from "./wrangler-config.mjs";

/**
 * Checks the config at configPath: `npm start`'s when `local`, and the deploy environments named in `envs` (all when
 * undefined), asking Cloudflare for their secrets when `askCloudflare`. Prints a line per target; returns the failures.
 */
export async function checkConfiguration({ configPath, local = true, envs, askCloudflare = true }) {
  const { path, raw, setup } = await effectiveConfig(configPath);
  const { parseConfig } = await loadWorkerConfig();
  const neededIn = (env) => (setup && setupEnvironment(setup) === env ? neededSecrets(setup) : []);
  // Name edgehub.setup.json as a source only where its choices apply.
  const base = (env) =>
    setup && setupEnvironment(setup) === env ? "wrangler.toml [vars] with edgehub.setup.json" : "wrangler.toml [vars]";
  const targets = [];
  if (local) targets.push(localTarget(configPath, raw, base(""), neededIn("")));
  for (const { name, vars } of environments(raw)) {
    if (envs && !envs.includes(name)) continue;
    const rawEnv = name ? raw.env[name] : raw;
    const listed = askCloudflare
      ? listDeployedSecrets(path, name)
      : { unavailable: "a build does not ask Cloudflare for them" };
    const names = (listed.names ?? []).filter((secret) => SECRETS.includes(secret));
    targets.push({
      label: name ? `[env.${name}]` : "default environment",
      values: { ...vars, ...Object.fromEntries(names.map((secret) => [secret, PLACEHOLDERS[secret]])) },
      bindings: bindingsOf(rawEnv),
      needed: listed.names ? neededIn(name) : [],
      fix: (secret) => secretCommand(secret, name, path),
      sources: `${Object.keys(vars).length} variables (${base(name)}); ${listed.names ? `secrets (from \`wrangler secret list\`): ${names.join(", ") || "none"}` : "secrets unknown"}`,
      notChecked: listed.unavailable && describeUnchecked(listed.unavailable, neededIn(name)),
    });
  }
  let failures = 0;
  for (const target of targets) failures += checkTarget(parseConfig, target);
  return failures;
}

/** `npm start`: the default environment's [vars], .dev.vars over them, EDGEHUB_VARS over both (as start.mjs does). */
function localTarget(configPath, raw, base, needed) {
  const devVars = readDevVars(join(dirname(configPath), ".dev.vars"));
  const edgehubVars = JSON.parse(process.env.EDGEHUB_VARS || "{}");
  const sources = [
    base,
    devVars ? `.dev.vars (${Object.keys(devVars).join(", ") || "empty"})` : "no .dev.vars",
    ...(Object.keys(edgehubVars).length ? [`EDGEHUB_VARS (${Object.keys(edgehubVars).join(", ")})`] : []),
  ].join(", ");
  return {
    label: "npm start",
    values: { ...raw.vars, ...devVars, ...edgehubVars },
    bindings: bindingsOf(raw),
    needed,
    fix: (secret) => `add ${secret}=… to .dev.vars`,
    sources,
  };
}

/** One target: its missing secrets, then the Worker's parser; prints the verdict, returns 1 on failure. */
function checkTarget(parseConfig, { label, values, bindings, needed, fix, sources, notChecked }) {
  const missing = needed.filter(([name]) => !values[name]);
  const errors = missing.map(([name, consequence]) => `${name} is not set: ${consequence} (${fix(name)})`);
  if (errors.length === 0) {
    try {
      parseConfig({ ...values, ...bindings });
    } catch (error) {
      errors.push(error.message);
    }
  }
  if (errors.length) {
    for (const error of errors) console.error(`error ${label}: ${error}`);
    console.error(`      (${label} read: ${sources})`);
  } else {
    console.log(`ok    ${label}: ${sources}`);
  }
  if (notChecked) console.log(`note  ${label}: not checked: ${notChecked}`);
  return errors.length ? 1 : 0;
}

function describeUnchecked(reason, needed) {
  const which = needed.length
    ? `its secrets, nor that ${needed.map(([name]) => name).join(", ")} are set`
    : "its secrets";
  return `${which} (${reason})`;
}

/** The secrets each feature setup enabled needs, with what goes wrong without each. */
function neededSecrets(setup) {
  return Object.entries(NEEDED_BY).flatMap(([flag, needed]) => (setup[flag] ? needed : []));
}

/** Stand-ins for the bindings an environment declares: what the parser checks is that they are bound and of a kind. */
function bindingsOf(rawEnv) {
  const bindings = {};
  for (const bucket of rawEnv.r2_buckets ?? []) bindings[bucket.binding] = { get() {}, put() {}, head() {} };
  for (const limiter of rawEnv.ratelimits ?? []) bindings[limiter.name] = { limit: async () => ({ success: true }) };
  for (const object of rawEnv.durable_objects?.bindings ?? []) bindings[object.name] = { idFromName() {}, get() {} };
  return bindings;
}
