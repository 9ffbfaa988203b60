// `npm run deploy` and `npm run build`: check every environment's variables (scripts/check.mjs), then ship (or, with
// --dry-run, bundle into dist/ without shipping) the environment users mean: [env.production] once `npm run setup`
// wrote it, else the default one, on workers.dev. A configuration error stops here instead of shipping 500s.
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { defaultConfigPath, deployEnvironment, readRawConfig, root } from "./wrangler-config.mjs";

const { values } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    config: { type: "string", default: defaultConfigPath },
    outdir: { type: "string", default: "dist" },
  },
});
const dryRun = values["dry-run"];
const check = spawnSync(process.execPath, [`${root}scripts/check.mjs`, "--config", values.config], {
  stdio: "inherit",
  cwd: root,
});
if (check.status !== 0) {
  console.error(
    `Not ${dryRun ? "building" : "deploying"}: fix the configuration above (npm run check shows it again).`,
  );
  process.exit(check.status ?? 1);
}
const env = deployEnvironment(await readRawConfig(values.config));
console.log(
  `${dryRun ? "Building" : "Deploying"} the ${env ? `"${env}" environment` : "default environment (workers.dev)"} of ${values.config}`,
);
const args = [
  "deploy",
  "--config",
  values.config,
  `--env=${env}`,
  ...(dryRun ? ["--dry-run", "--outdir", values.outdir] : []),
];
const { status } = spawnSync(`${root}node_modules/.bin/wrangler`, args, { stdio: "inherit", cwd: root });
process.exit(status ?? 1);
