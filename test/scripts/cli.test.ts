// A mistake on the command line of setup, check or deploy is one line naming it, then the usage, exit 1: never a
// Node stack trace. setup also refuses what it cannot mean (a workers.dev host as a domain, an unknown route name).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, root, run, setup } from "./wrangler";

/** Exit 1, the mistake on the first line, the usage next, and no stack trace or Node error code anywhere. */
function expectOneLineMistake(result: { code: number; output: string }, script: string, mistake: string | RegExp) {
  expect(result.code, result.output).toBe(1);
  const [first = "", second] = result.output.split("\n");
  if (typeof mistake === "string") expect(first).toBe(`${script}: ${mistake}`);
  else expect(first.slice(script.length + 2)).toMatch(mistake);
  expect(second).toMatch(/^usage: npm run /);
  expect(result.output).not.toMatch(/^\s+at |ERR_PARSE_ARGS|node:internal/m);
}

describe("CLI mistakes", () => {
  it.each([
    [["mirror.example.com", "--subdomain", "ghcr"], "unknown option --subdomain (did you mean --subdomains?)"],
    [["mirror.example.com", "--rate-limit"], "--rate-limit needs a value"],
    [["mirror.example.com", "--rate-limit", "--users"], "--rate-limit needs a value"],
    [["mirror.example.com", "--users=yes"], "--users takes no value (write --users alone)"],
    [
      ["mirror.example.com", "--rate-limit", "lots"],
      '--rate-limit "lots" is not a whole number of requests per minute',
    ],
    [
      ["--workers-dev", "--subdomains", "ghcr"],
      "--subdomains needs a domain; on workers.dev every registry is reached by path prefix",
    ],
    [["--workers-dev", "mirror.example.com"], '--workers-dev takes no domain (got "mirror.example.com")'],
    [[], "name the mirror's domain (or use --workers-dev)"],
  ])("setup %j", async (args, mistake) => {
    const path = copyConfig();
    expectOneLineMistake(await setup(path, ...args), "setup", mistake);
    expect(existsSync(join(dirname(path), "edgehub.setup.json"))).toBe(false);
  });

  it("npm run deploy -- --env production: deploy picks the environment itself", async () => {
    const result = await run(process.execPath, [join(root, "scripts/deploy.mjs"), "--env", "production"]);
    expectOneLineMistake(result, "deploy", "unknown option --env");
  });

  it("npm run check -- --verbose", async () => {
    const result = await run(process.execPath, [join(root, "scripts/check.mjs"), "--verbose"]);
    expectOneLineMistake(result, "check", "unknown option --verbose");
  });
});

describe("npm run setup refuses what it cannot mean", () => {
  it("a workers.dev host as the domain: one line saying to use --workers-dev", async () => {
    const result = await setup(copyConfig(), "edgehub.someone.workers.dev", "--dockerhub");
    expectOneLineMistake(
      result,
      "setup",
      "edgehub.someone.workers.dev is a workers.dev host, not a domain of yours: run npm run setup -- --workers-dev [options]",
    );
  });

  it("an unknown route name in --subdomains, naming the routes of the Worker's own table", async () => {
    const result = await setup(copyConfig(), "mirror.example.com", "--subdomains", "ghcr,gchr");
    expectOneLineMistake(
      result,
      "setup",
      /^--subdomains: "gchr" is not a route name \(routes: docker, [a-z0-9, -]*\bghcr\b[a-z0-9, -]*\)$/,
    );
  });
});
