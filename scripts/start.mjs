// `npm start`: the mirror on http://127.0.0.1:8787 (PORT and HOST override), reading local overrides from .dev.vars.
import { startLocalWorker } from "./local-worker.mjs";

const hostname = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 8787);
const worker = await startLocalWorker({ hostname, port });
console.log(`edgehub listening on ${worker.url ? await worker.url : `http://${hostname}:${port}/`}`);
console.log(`try: curl -i http://${hostname}:${port}/v2/   or   docker pull ${hostname}:${port}/library/alpine (with an insecure-registries entry)`);
const stop = async () => {
  await worker.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
