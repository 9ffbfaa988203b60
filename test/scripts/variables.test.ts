// One description per variable (src/config/variables.ts): docs/configuration.md's table and wrangler.toml's [vars] are generated
// from it by `npm run docs:vars`, and scripts/check.mjs takes the secrets from it. Edit the table, then run that.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VARIABLES } from "../../src/config/variables";
import { offline, root, run } from "./wrangler";

describe("the one description of each variable", () => {
  it("docs/configuration.md's table and wrangler.toml's [vars] are what npm run docs:vars writes", async () => {
    const result = await run(process.execPath, [join(root, "scripts/variables.mjs"), "--check"], { env: offline });
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("the checked document is named in one constant", () => {
    const script = readFileSync(join(root, "scripts/variables.mjs"), "utf8");
    const doc = /export const VARIABLES_DOC = "([^"]+)";/.exec(script)?.[1];
    expect(doc).toBeDefined();
    expect(readFileSync(join(root, doc ?? ""), "utf8")).toContain("<!-- variables:start -->");
  });

  it("wrangler.toml's [vars] are exactly the plain variables, at their defaults, and no secret", async () => {
    const { experimental_readRawConfig } = await import("wrangler");
    const vars = experimental_readRawConfig({ config: join(root, "wrangler.toml") }).rawConfig.vars ?? {};
    const expected = Object.fromEntries(
      VARIABLES.flatMap((variable) => (variable.kind === "var" ? [[variable.name, variable.default]] : [])),
    );
    expect(vars).toEqual(expected);
  });

  it("names each variable once, and scripts/check.mjs names no secret of its own", () => {
    const names = VARIABLES.map((variable) => variable.name);
    expect(new Set(names).size).toBe(names.length);
    const check = readFileSync(join(root, "scripts/check.mjs"), "utf8");
    for (const variable of VARIABLES) if (variable.kind === "secret") expect(check).not.toContain(variable.name);
  });
});
