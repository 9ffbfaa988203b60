/**
 * The Worker under test, started exactly as `npm start` starts it (scripts/start.mjs), in a process group of its own
 * so that stopping it also stops the workerd child. Clients get HTTPS (they trust its certificate); benchmarks use
 * plain HTTP, because the local runtime terminates TLS in Node at about half the speed it streams, while in
 * production Cloudflare's edge terminates TLS before the Worker.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/** A running Worker. `origin` is `https://127.0.0.1:<port>` (or http), `host` the `127.0.0.1:<port>` clients name. */
export interface RunningWorker {
  origin: string;
  host: string;
  pid: number;
  /** Everything the Worker process printed, including one JSON line per request at log level "log". */
  output: () => string;
  stop: () => Promise<void>;
}

/** How to start the Worker. `logLevel: "log"` shows its per-request JSON lines in `output()` (costly under load). */
export interface WorkerOptions {
  vars: Record<string, string>;
  /** Key and certificate to serve HTTPS; without them the Worker serves plain HTTP. */
  keyPath?: string;
  certPath?: string;
  logLevel?: "warn" | "log";
  /** Binds a local R2 bucket as BLOBS (benchmarks of the R2-backed cache). */
  r2?: boolean;
  /**
   * Where the local runtime keeps the files of its Cache API and R2 simulators (they are not persisted): the OS temp
   * dir unless set. The throughput bench names a tmpfs, since the simulator writes them on the Worker's own thread.
   */
  tmpDir?: string;
}

/** Starts the Worker with these variables on a free port. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const port = await freePort();
  const child = spawn(process.execPath, ["scripts/start.mjs"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      ...(options.keyPath && options.certPath
        ? { EDGEHUB_HTTPS_KEY: options.keyPath, EDGEHUB_HTTPS_CERT: options.certPath }
        : {}),
      EDGEHUB_VARS: JSON.stringify(options.vars),
      EDGEHUB_LOG_LEVEL: options.logLevel ?? "log",
      ...(options.r2 ? { EDGEHUB_R2_BUCKET: "edgehub-local" } : {}),
      ...(options.tmpDir ? { TMPDIR: options.tmpDir } : {}),
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    () => output.includes("edgehub listening on"),
    child,
    () => output,
    60_000,
  );
  return {
    origin: `${options.keyPath ? "https" : "http"}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => output,
    stop: () => stopGroup(child),
  };
}

async function waitFor(
  ready: () => boolean,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`the Worker exited with ${child.exitCode}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`the Worker did not start in ${timeoutMs / 1000} s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stops a detached child and everything it started, politely first. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
