/** Small helpers shared by the Node servers of the imitation upstream. */
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Listens on an ephemeral port of 127.0.0.1 and returns the server's base URL (no trailing slash). */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** Stops a server at once, dropping kept-alive client connections instead of waiting for them to time out. */
export async function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** Sends a small complete response with an exact Content-Length. */
export function reply(res: ServerResponse, status: number, body: string, type = "application/json"): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
