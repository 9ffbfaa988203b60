/**
 * wrangler's local runtime is two workerd processes: a proxy on the public port (it exists for live reload and the
 * inspector) and the runtime that runs the Worker, on a port of its own choosing. In production neither the proxy nor
 * its hop exists, so the throughput bench sends clients to the runtime itself; the CPU and memory figures read it too.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The workerd process running the Worker in process group `pgid` (not wrangler's proxy, which holds `publicPort`). */
export function runtimePid(pgid: number, publicPort: number): { pid: number; binary: string } {
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      // The port must end where the argument's number ends: public port 4123 is not the runtime's loopback :41234.
      const onPublicPort = new RegExp(`:${publicPort}(?!\\d)`);
      if (!args[0]?.endsWith("/workerd") || args.some((a) => onPublicPort.test(a))) continue;
      return { pid: Number(name), binary: args[0] };
    } catch {
      // gone between listing and reading
    }
  }
  throw new Error(`no workerd runtime in process group ${pgid}`);
}

/** runtimePid, waiting up to 10 s for the runtime (wrangler may answer before its runtime process has started). */
export async function findRuntime(pgid: number, publicPort: number): Promise<{ pid: number; binary: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return runtimePid(pgid, publicPort);
    } catch (error) {
      if (attempt >= 100) throw error;
      await sleep(100);
    }
  }
}

/** `127.0.0.1:<port>` where the runtime of process group `pgid` accepts requests (waits up to 10 s for it). */
export async function runtimeHost(pgid: number, publicPort: number): Promise<string> {
  const { pid } = await findRuntime(pgid, publicPort);
  for (let attempt = 0; ; attempt++) {
    const ports = listeningPorts(pid);
    // Miniflare gives the runtime one socket (entry); a second one (an inspector, a direct socket) would make [0] a
    // guess, and a pull sent to the wrong one would measure something else.
    if (ports.length > 1) throw new Error(`the workerd runtime ${pid} listens on ${ports.join(", ")}: which is entry?`);
    const port = ports[0];
    if (port !== undefined) return `127.0.0.1:${port}`;
    if (attempt >= 100) throw new Error(`the workerd runtime ${pid} listens on no port`);
    await sleep(100);
  }
}

/** The IPv4 ports process `pid` listens on: its sockets' inodes matched against /proc/<pid>/net/tcp's LISTEN rows. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (socket) inodes.add(socket);
    } catch {
      // closed between listing and reading
    }
  }
  const LISTEN = "0A";
  return readFileSync(`/proc/${pid}/net/tcp`, "utf8")
    .split("\n")
    .slice(1)
    .map((row) => row.trim().split(/\s+/))
    .filter((fields) => fields[3] === LISTEN && inodes.has(fields[9] ?? ""))
    .map((fields) => Number.parseInt(fields[1]?.split(":")[1] ?? "", 16));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
