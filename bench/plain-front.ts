/**
 * A TCP front for the benchmark's plain-HTTP Worker. skopeo with `--tls-verify=false` tries TLS first and falls back
 * to HTTP only when that fails; the local runtime's HTTP port holds a TLS hello open until skopeo's 10 s handshake
 * timeout, which would be timed as part of every pull. The front (bench/plain-front-process.mjs) resets a connection
 * whose first byte is a TLS handshake record and pipes every other connection through. It runs as a process of its own:
 * inside the bench's process it would share one event loop with the imitation upstream and slow both. The extra hop
 * counts against edgehub, never for it.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const PROGRAM = fileURLToPath(new URL("./plain-front-process.mjs", import.meta.url));

/** Starts a front in front of `target` (host:port); returns its host:port and a stop function. */
export async function startPlainFront(target: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [PROGRAM, target], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const host = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (line: Buffer) => resolve(line.toString().trim()));
    child.once("exit", (code) => reject(new Error(`the plain front exited with ${code}`)));
  });
  return {
    host,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
