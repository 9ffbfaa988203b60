// Starts the known-cost Worker in wrangler's local runtime on PORT, the way `npm start` starts edgehub.
import { fileURLToPath } from "node:url";
import { startLocalWorker } from "../../scripts/local-worker.mjs";

const worker = await startLocalWorker({
  port: Number(process.env.PORT),
  config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)),
});
console.log(`edgehub listening on ${await worker.url}`);
process.on("SIGTERM", async () => {
  await worker.dispose();
  process.exit(0);
});
