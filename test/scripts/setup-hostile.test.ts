// Review of #24: a hand-edited edgehub.setup.json with values of the wrong type, a rate limit past what a number holds
// exactly, and a --config that does not exist are each one plain message, never a TypeError or a stack trace.
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, offline, root, run, setup } from "./wrangler";

const check = (path: string) => run(process.execPath, [join(root, "scripts/check.mjs"), "--config", path]);

describe("a hostile edgehub.setup.json", () => {
  it.each([
    [{ domain: 5 }, "domain 5 is not a host name"],
    [{ domain: "mirror.example.com", zone: ["example.com"] }, 'zone ["example.com"] is not a host name'],
    [{ rateLimit: 2 ** 60 }, "the rate limit must be a whole number of requests per minute"],
  ])("%j is named, not a TypeError", async (edit, problem) => {
    const path = copyConfig();
    expect((await setup(path, "mirror.example.com")).code).toBe(0);
    const file = join(dirname(path), "edgehub.setup.json");
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), ...edit }));
    const result = await check(path);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(problem);
    expect(result.output).not.toMatch(/is not a function|^\s+at /m);
  });

  it.each(["[]", "null", '"mirror.example.com"'])("%s, valid JSON but no object, is refused", async (text) => {
    const path = copyConfig();
    writeFileSync(join(dirname(path), "edgehub.setup.json"), text);
    const result = await check(path);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("edgehub.setup.json is not a JSON object");
  });
});

describe("setup's own mistakes", () => {
  it("a rate limit past 2^53 is refused, not rounded", async () => {
    const result = await setup(copyConfig(), "mirror.example.com", "--rate-limit", "9007199254740993");
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("the rate limit must be a whole number of requests per minute");
  });

  it("a --config that does not exist is one line, no stack trace", async () => {
    const path = join(dirname(copyConfig()), "missing.toml");
    const result = await setup(path, "mirror.example.com");
    expect(result.code, result.output).toBe(1);
    expect(result.output.split("\n")[0]).toMatch(/^setup: .*missing\.toml/);
    expect(result.output).not.toMatch(/^\s+at |ParseError|wrangler-dist/m);
  });
});

describe("the secret commands setup prints", () => {
  it("quote a config path a shell would split or run, so pasting one does what it says", async () => {
    const dir = join(dirname(copyConfig()), "my $(touch pwned) dir");
    mkdirSync(dir);
    const path = join(dir, "wrangler.toml");
    writeFileSync(path, readFileSync(copyConfig(), "utf8"));
    const result = await setup(path, "mirror.example.com", "--users");
    expect(result.code, result.output).toBe(0);
    const config = join(dir, ".wrangler/edgehub/wrangler.jsonc");
    expect(result.output).toContain(`npx wrangler secret put MIRROR_USERS --env production --config '${config}'`);
  });
});

describe("npm start with a bad edgehub.setup.json", () => {
  it("says what is wrong in one line, no stack trace, before starting anything", async () => {
    // start.mjs reads the setup file beside this repository's wrangler.toml: run a copy, not this checkout.
    const copy = dirname(copyConfig());
    for (const entry of ["scripts", "src", "package.json", "wrangler.toml"])
      cpSync(join(root, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
    writeFileSync(join(copy, "edgehub.setup.json"), JSON.stringify({ domain: "bad host" }));
    const result = await run(process.execPath, [join(copy, "scripts/start.mjs")], {
      env: { ...offline, PORT: "18799" },
      timeoutMs: 30_000,
    });
    expect(result.code, result.output).toBe(1);
    expect(result.output.split("\n")[0]).toBe(
      `edgehub: ${join(copy, "edgehub.setup.json")}: domain "bad host" is not a host name`,
    );
    expect(result.output).not.toMatch(/^\s+at /m);
  });
});
