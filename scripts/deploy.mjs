// `npm run deploy` and `npm run build`: ship (or, with --dry-run, bundle into dist/ without shipping) the environment
// users mean: [env.production] once `npm run setup` wrote it, else the default one, on workers.dev.
import { spawnSync } from "node:child_process";
import { deployEnvironment, readRawConfig, root } from "./wrangler-config.mjs";

const dryRun = process.argv.includes("--dry-run");
const env = deployEnvironment(await readRawConfig());
console.log(`${dryRun ? "Building" : "Deploying"} the ${env ? `"${env}" environment` : "default environment (workers.dev)"} of wrangler.toml`);
const args = ["deploy", `--env=${env}`, ...(dryRun ? ["--dry-run", "--outdir", "dist"] : [])];
const { status } = spawnSync(`${root}node_modules/.bin/wrangler`, args, { stdio: "inherit", cwd: root });
process.exit(status ?? 1);
