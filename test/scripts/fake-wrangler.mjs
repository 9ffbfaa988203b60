#!/usr/bin/env node
// A stand-in for `wrangler secret list`, named by EDGEHUB_WRANGLER, so no test asks Cloudflare. FAKE_SECRETS says
// what it knows: a JSON object of environment ("" is the default) -> secret names; "missing" answers as Cloudflare does
// for a Worker never deployed; unset, it fails as wrangler does offline. Each call is appended to FAKE_WRANGLER_LOG.
import { appendFileSync } from "node:fs";

const args = process.argv.slice(2);
if (process.env.FAKE_WRANGLER_LOG) appendFileSync(process.env.FAKE_WRANGLER_LOG, `${args.join(" ")}\n`);
const env = args.find((arg) => arg.startsWith("--env="))?.slice("--env=".length) ?? "";
const known = process.env.FAKE_SECRETS;
if (args[0] !== "secret" || args[1] !== "list") {
  console.error(`fake wrangler: only "secret list" is faked, not ${args.join(" ")}`);
  process.exit(2);
}
if (known === "missing") {
  console.error("✘ [ERROR] This Worker does not exist on your account. [code: 10007]");
  process.exit(1);
}
if (!known) {
  console.error("✘ [ERROR] A request to the Cloudflare API failed: fetch failed (offline)");
  process.exit(1);
}
const names = JSON.parse(known)[env] ?? [];
console.log(JSON.stringify(names.map((name) => ({ name, type: "secret_text" }))));
