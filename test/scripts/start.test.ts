// `npm start` on a port that is taken says so, naming PORT, and exits instead of hanging.
import { createServer } from "node:net";
import { join } from "node:path";
import { expect, it } from "vitest";
import { root, run } from "./wrangler";

it("npm start on a busy port exits non-zero within seconds, naming PORT", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const started = Date.now();
    const result = await run(process.execPath, [join(root, "scripts/start.mjs")], {
      env: { ...process.env, PORT: String(port) },
      timeoutMs: 20_000,
    });
    expect(result.code, result.output).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.output).toContain(`port ${port} on 127.0.0.1 is in use; set PORT`);
  } finally {
    server.close();
  }
});
