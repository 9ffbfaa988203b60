/** Starts bench/known-cost/worker.js in wrangler's local runtime, as `npm start` starts edgehub, on a free port. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, stopGroup } from "../test/e2e/support/worker";

/** The running known-cost Worker: its process group, public port and origin. */
export interface KnownCostWorker {
  pid: number;
  port: number;
  origin: string;
  stop: () => Promise<void>;
}

export async function startKnownCostWorker(): Promise<KnownCostWorker> {
  const port = await freePort();
  const child = spawn(process.execPath, [fileURLToPath(new URL("./known-cost/start.mjs", import.meta.url))], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      EDGEHUB_LOG_LEVEL: "warn",
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; !output.includes("listening"); i++) {
    if (i > 600 || child.exitCode !== null) {
      await stopGroup(child);
      throw new Error(`the known-cost Worker did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid: child.pid ?? 0, port, origin: `http://127.0.0.1:${port}`, stop: () => stopGroup(child) };
}
