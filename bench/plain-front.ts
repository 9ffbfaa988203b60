/**
 * A TCP front for the benchmark's plain-HTTP Worker. skopeo with `--tls-verify=false` tries TLS first and falls back
 * to HTTP only when that fails; the local runtime's HTTP port holds a TLS hello open until skopeo's 10 s handshake
 * timeout, which would be timed as part of every pull. This front resets a connection whose first byte is a TLS
 * handshake record and pipes every other connection through. The extra hop counts against edgehub, never for it.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

const TLS_HANDSHAKE = 0x16;

/** Listens on a free port in front of `target` (host:port); returns its host:port and a stop function. */
export async function startPlainFront(target: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const [host, port] = target.split(":") as [string, string];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    client.once("data", (first) => {
      if (first[0] === TLS_HANDSHAKE) {
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(Number(port), host, () => {
        upstream.write(first);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.once("close", () => sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: frontPort } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${frontPort}`,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
