// `npm start` prints its bindings; a secret shows as (hidden) whatever its source: .dev.vars, or EDGEHUB_VARS (#21).
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { expect, it } from "vitest";
import { offline, root } from "./wrangler";

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `npm start` until it listens, then stops its process group; returns what it printed. */
async function startOutput(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, [join(root, "scripts/start.mjs")], { cwd: root, env, detached: true });
  let output = "";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen:\n${output}`)), 60_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("edgehub listening on")) clearTimeout(timer), resolve();
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      child.once("exit", () => (clearTimeout(timer), reject(new Error(`npm start exited:\n${output}`))));
    });
  } finally {
    if (child.pid) process.kill(-child.pid, "SIGTERM");
  }
  return output;
}

it("npm start hides secrets given in EDGEHUB_VARS, and still shows plain variables", async () => {
  const password = "a-password-nobody-may-read";
  const secret = "token-secret-nobody-may-read-0123456789";
  const output = await startOutput({
    ...offline,
    PORT: String(await freePort()),
    EDGEHUB_VARS: JSON.stringify({
      MIRROR_USERS: `alice:${password}`,
      MIRROR_TOKEN_SECRET: secret,
      HOME_PAGE: "nginx",
    }),
  });
  expect(output).toMatch(/env\.MIRROR_USERS\s+\("?\(hidden\)"?\)/);
  expect(output).toMatch(/env\.MIRROR_TOKEN_SECRET\s+\("?\(hidden\)"?\)/);
  expect(output).not.toContain(password);
  expect(output).not.toContain(secret);
  expect(output).toContain('env.HOME_PAGE ("nginx")');
});
