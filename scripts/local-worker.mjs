// Runs edgehub in wrangler's local runtime with the inspector and file watching off: with the inspector on,
// streaming through the local runtime crawls (about 20 MB/s here) and memory grows; off, it runs at about 1 GB/s.
import { SECRETS } from "./secrets.mjs";
import { defaultConfigPath } from "./wrangler-config.mjs";

const { unstable_startWorker } = await import("wrangler");

/**
 * Starts the Worker on host:port (HTTPS when key and cert paths are given). `vars` override wrangler.toml's [vars]
 * and .dev.vars; `r2Bucket` binds a local bucket as BLOBS; `config` names another wrangler config (setup's, for
 * npm start; the bench's known-cost Worker) and `envFiles` the .dev.vars it reads. Returns wrangler's handle; call
 * dispose() to stop it.
 */
export async function startLocalWorker({
  hostname = "127.0.0.1",
  port = 8787,
  httpsKeyPath,
  httpsCertPath,
  vars = {},
  r2Bucket,
  config = defaultConfigPath,
  envFiles,
} = {}) {
  const secure = Boolean(httpsKeyPath && httpsCertPath);
  // A secret is a secret wherever it came from: wrangler prints plain_text values in its banner, secret_text as (hidden).
  const bindings = Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [
      name,
      { type: SECRETS.includes(name) ? "secret_text" : "plain_text", value },
    ]),
  );
  // A local (in-memory, persist: false) R2 bucket as BLOBS, for runs that measure the R2-backed cache.
  if (r2Bucket) bindings.BLOBS = { type: "r2_bucket", bucket_name: r2Bucket };
  const worker = await unstable_startWorker({
    config,
    ...(envFiles ? { envFiles } : {}),
    bindings,
    sendMetrics: false,
    dev: {
      inspector: false,
      watch: false,
      liveReload: false,
      persist: false,
      logLevel: process.env.EDGEHUB_LOG_LEVEL ?? "log",
      server: secure ? { hostname, port, secure, httpsKeyPath, httpsCertPath } : { hostname, port },
    },
  });
  await worker.ready;
  return worker;
}
