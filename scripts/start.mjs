// `npm start`: the mirror on http://127.0.0.1:8787, with what `npm run setup -- --workers-dev` chose, reading local
// overrides from .dev.vars.
// Environment: HOST, PORT; EDGEHUB_HTTPS_KEY and EDGEHUB_HTTPS_CERT to serve HTTPS; EDGEHUB_VARS, a JSON object of
// variables that override wrangler.toml and .dev.vars (the end-to-end suite and benchmarks use these);
// EDGEHUB_LOG_LEVEL=warn hides the per-request log lines; EDGEHUB_R2_BUCKET=<name> binds a local R2 bucket as BLOBS.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { effectiveConfig } from "./effective-config.mjs";
import { startLocalWorker } from "./local-worker.mjs";
import { defaultConfigPath, root } from "./wrangler-config.mjs";

const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
// wrangler's runtime, given a busy port, prints a stack trace and hangs; ask the port first and say what to do.
const busy = await new Promise((resolve) => {
  const probe = createServer()
    .once("error", (error) => resolve(error.code === "EADDRINUSE" ? true : error))
    .once("listening", () => probe.close(() => resolve(false)))
    .listen(port, hostname);
});
if (busy) {
  console.error(
    busy === true
      ? `edgehub: port ${port} on ${hostname} is in use; set PORT to a free one, e.g. PORT=${port + 1} npm start`
      : `edgehub: cannot listen on ${hostname}:${port} (${busy.code ?? busy.message}); set HOST and PORT`,
  );
  process.exit(1);
}
// The effective configuration may sit in .wrangler/edgehub/: name the .dev.vars beside wrangler.toml explicitly.
// A hand-edited edgehub.setup.json that fails its checks is one line, as in check and deploy, not a stack trace.
const { path: config } = await effectiveConfig(defaultConfigPath).catch((error) => {
  console.error(`edgehub: ${error.message}`);
  process.exit(1);
});
const devVars = `${root}.dev.vars`;
const worker = await startLocalWorker({
  config,
  ...(config !== defaultConfigPath && existsSync(devVars) ? { envFiles: [devVars] } : {}),
  hostname,
  port,
  httpsKeyPath: process.env.EDGEHUB_HTTPS_KEY,
  httpsCertPath: process.env.EDGEHUB_HTTPS_CERT,
  vars: JSON.parse(process.env.EDGEHUB_VARS ?? "{}"),
  r2Bucket: process.env.EDGEHUB_R2_BUCKET || undefined,
});
const url = await worker.url;
console.log(`edgehub listening on ${url}`);
console.log(`try: curl -i ${url}v2/library/alpine/tags/list`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
