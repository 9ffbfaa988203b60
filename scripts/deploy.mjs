// `npm run deploy` and `npm run build`: check the environment users mean (scripts/check-config.mjs), then ship it, or,
// with --dry-run, bundle it without shipping into dist/edgehub.js, one self-contained file that can also be pasted into
// the dashboard's editor. The environment is [env.production] once `npm run setup` chose a domain, else the default
// one, on workers.dev; the configuration is wrangler.toml with setup's choices (scripts/effective-config.mjs).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkConfiguration } from "./check-config.mjs";
import { parseCommandLine, usageError } from "./cli.mjs";
import { effectiveConfig } from "./effective-config.mjs";
import { defaultConfigPath, deployEnvironment, root } from "./wrangler-config.mjs";

const USAGE = `usage: npm run deploy    (ships [env.production] once npm run setup chose a domain, else workers.dev)
       npm run build     (checks and bundles into dist/edgehub.js without shipping)`;
const { values, positionals } = parseCommandLine("deploy", USAGE, {
  "dry-run": { type: "boolean", default: false },
  config: { type: "string", default: defaultConfigPath },
  outdir: { type: "string", default: "dist" },
});
if (positionals.length) usageError("deploy", `unexpected argument "${positionals[0]}"`, USAGE);
const dryRun = values["dry-run"];
let effective;
try {
  effective = await effectiveConfig(values.config);
} catch (error) {
  usageError("deploy", error.message, USAGE);
}
const env = deployEnvironment(effective.raw);
const failures = await checkConfiguration({
  configPath: values.config,
  local: false,
  envs: [env],
  askCloudflare: !dryRun,
});
if (failures) {
  console.error(
    `Not ${dryRun ? "building" : "deploying"}: fix the configuration above (npm run check shows it again).`,
  );
  process.exit(1);
}
console.log(
  `${dryRun ? "Building" : "Deploying"} the ${env ? `"${env}" environment` : "default environment (workers.dev)"} of ${effective.path}`,
);
const bundleDir = dryRun ? mkdtempSync(join(tmpdir(), "edgehub-bundle-")) : undefined;
const args = [
  "deploy",
  "--config",
  effective.path,
  `--env=${env}`,
  ...(dryRun ? ["--dry-run", "--outdir", bundleDir] : []),
];
const { status } = spawnSync(`${root}node_modules/.bin/wrangler`, args, { stdio: "inherit", cwd: root });
if (status === 0 && bundleDir) writeSingleFile(bundleDir, resolve(root, values.outdir));
process.exit(status ?? 1);

/** dist/edgehub.js alone: wrangler's bundle without its source map reference, the one file the dashboard takes. */
function writeSingleFile(from, outdir) {
  const bundle = readFileSync(join(from, "index.js"), "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
  mkdirSync(outdir, { recursive: true });
  // What an earlier build (or wrangler itself) left there goes, so the one file is all there is.
  for (const stale of ["index.js", "index.js.map", "README.md"]) rmSync(join(outdir, stale), { force: true });
  writeFileSync(join(outdir, "edgehub.js"), bundle);
  rmSync(from, { recursive: true, force: true });
  console.log(`Wrote ${join(outdir, "edgehub.js")}: one file, to paste into the dashboard's editor or to deploy.`);
}
