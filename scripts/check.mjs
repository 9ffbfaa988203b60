// `npm run check`: checks what will run, with the Worker's own parser: `npm start` (.dev.vars over [vars], all of it)
// and every deploy environment (its own variables, and the secrets `wrangler secret list` reports for it), plus the
// secrets each feature `npm run setup` turned on needs. Exits 1 on any error. scripts/check-config.mjs says how.
import { checkConfiguration } from "./check-config.mjs";
import { parseCommandLine } from "./cli.mjs";
import { defaultConfigPath } from "./wrangler-config.mjs";

const USAGE = "usage: npm run check";
const { values, positionals } = parseCommandLine("check", USAGE, {
  config: { type: "string", default: defaultConfigPath },
});
if (positionals.length) {
  console.error(`check: unexpected argument "${positionals[0]}"\n${USAGE}`);
  process.exit(1);
}
let failures;
try {
  failures = await checkConfiguration({ configPath: values.config });
} catch (error) {
  console.error(`check: ${error.message}`);
  process.exit(1);
}
process.exit(failures ? 1 : 0);
