// A TCP front for the benchmark's plain-HTTP Worker, run as its own process by bench/plain-front.ts:
// `node bench/plain-front-process.mjs <host:port>` prints the 127.0.0.1:<port> it listens on and runs until its stdin
// ends. A connection whose first byte opens a TLS handshake is reset; every other connection is piped to <host:port>.
import { connect, createServer } from "node:net";

const TLS_HANDSHAKE = 0x16;
const [host, port] = (process.argv[2] ?? "").split(":");
if (!host || !port) {
  console.error("usage: node bench/plain-front-process.mjs <host:port>");
  process.exit(2);
}
const server = createServer((client) => {
  // A client that resets before its first byte would otherwise be an unhandled 'error' that ends the front.
  client.on("error", () => client.destroy());
  client.once("data", (first) => {
    if (first[0] === TLS_HANDSHAKE) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(port), host, () => {
      upstream.write(first);
      client.pipe(upstream).pipe(client);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
});
server.listen(0, "127.0.0.1", () => console.log(`127.0.0.1:${server.address().port}`));
process.on("SIGTERM", () => process.exit(0));
// The bench holds our stdin open: when it ends (the bench exited, even by a crash), so does the front.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
