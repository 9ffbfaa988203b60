// Starts the known-cost Worker in wrangler's local runtime on PORT, as scripts/local-worker.mjs starts edgehub.
import { fileURLToPath } from "node:url";

const { unstable_startWorker } = await import("wrangler");
const port = Number(process.env.PORT);
const worker = await unstable_startWorker({
  config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)),
  sendMetrics: false,
  dev: {
    inspector: false,
    watch: false,
    liveReload: false,
    persist: false,
    logLevel: "warn",
    server: { hostname: "127.0.0.1", port },
  },
});
await worker.ready;
console.log(`edgehub listening on http://127.0.0.1:${port}/`);
process.on("SIGTERM", async () => {
  await worker.dispose();
  process.exit(0);
});
