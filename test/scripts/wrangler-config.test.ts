// wrangler.toml as users meet it: the shipped default deploys to workers.dev as is, each optional block works once
// uncommented as its comment says, and `npm run setup` writes a production environment for exactly the named hosts.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, dryRun, effectivePath, problems, root, setup, uncommentEachBlock } from "./wrangler";

const shipped = readFileSync(join(root, "wrangler.toml"), "utf8");
const topLevelVars = Object.keys(
  (await import("wrangler")).experimental_readRawConfig({ config: join(root, "wrangler.toml") }).rawConfig.vars ?? {},
);

/** A clean dry run that lists every variable of [vars] and the given bindings. */
function expectDeploys(result: { code: number; output: string }, bindings: string[] = []) {
  expect(problems(result.output), result.output).toEqual([]);
  expect(result.code, result.output).toBe(0);
  for (const name of [...topLevelVars, ...bindings]) expect(result.output).toContain(`env.${name} `);
}

describe("wrangler.toml as shipped", () => {
  it("deploys the default environment to workers.dev, with no routes and no warning", async () => {
    const { unstable_readConfig } = await import("wrangler");
    const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
    expect(config.workers_dev).toBe(true);
    expect(config.routes ?? []).toEqual([]);
    expect(config.route).toBeUndefined();
    expect(Object.keys(config.env ?? {})).toEqual([]);
    expectDeploys(await dryRun(copyConfig(), ""));
  });

  const blocks = uncommentEachBlock(shipped);
  it("has the optional blocks its comments describe", () => {
    expect(blocks.map((b) => b.header)).toEqual(["[[r2_buckets]]", "[[ratelimits]]"]);
  });
  for (const block of blocks) {
    it(`still deploys, every variable kept, with ${block.header} uncommented`, async () => {
      expectDeploys(await dryRun(copyConfig(block.text), ""), [block.header.includes("r2") ? "BLOBS" : "RATE_LIMITER"]);
    });
  }
});

describe("npm run setup", () => {
  it("routes only the named hosts, says what Universal SSL covers and prints the commands to run", async () => {
    const path = copyConfig();
    const result = await setup(
      path,
      "mirror.example.com",
      "--subdomains",
      "ghcr,quay",
      "--r2",
      "--users",
      "--dockerhub",
    );
    expect(result.code, result.output).toBe(0);
    const { unstable_readConfig } = await import("wrangler");
    const production = unstable_readConfig({ config: effectivePath(path), env: "production" });
    expect(production.routes).toEqual([
      { pattern: "mirror.example.com", custom_domain: true },
      { pattern: "ghcr.example.com", custom_domain: true },
      { pattern: "quay.example.com", custom_domain: true },
    ]);
    expect(production.workers_dev).toBe(false);
    expect(production.vars).toMatchObject({
      MIRROR_HOST: "mirror.example.com",
      MIRROR_SUBDOMAINS: "ghcr.example.com,quay.example.com",
    });
    expect(result.output).toContain("covered:     mirror.example.com, ghcr.example.com, quay.example.com");
    expect(result.output).not.toContain("not covered");
    for (const line of [
      "npx wrangler r2 bucket create edgehub-blobs",
      "npx wrangler secret put MIRROR_USERS --env production",
      "npx wrangler secret put MIRROR_TOKEN_SECRET --env production",
      "npx wrangler secret put DOCKERHUB_USERNAME --env production",
      "npx wrangler secret put DOCKERHUB_TOKEN --env production",
    ]) {
      expect(result.output).toContain(line);
    }
    expectDeploys(await dryRun(effectivePath(path), "production"), ["BLOBS", "MIRROR_HOST"]);
    // The default environment is untouched: still workers.dev, still no routes.
    expect(unstable_readConfig({ config: effectivePath(path) }).routes ?? []).toEqual([]);
  });

  it("with --routes, writes a zone route per named host and never a wildcard; names a second-level host not covered", async () => {
    const path = copyConfig();
    const result = await setup(path, "hub.mirror.example.com", "--zone", "example.com", "--routes");
    expect(result.code, result.output).toBe(0);
    const { unstable_readConfig } = await import("wrangler");
    expect(unstable_readConfig({ config: effectivePath(path), env: "production" }).routes).toEqual([
      { pattern: "hub.mirror.example.com/*", zone_name: "example.com" },
    ]);
    expect(result.output).toContain("not covered: hub.mirror.example.com");
    expect(readFileSync(effectivePath(path), "utf8")).not.toMatch(/"pattern": "\*|"example\.com\/\*"/);
  });

  // Setup's choices now live in edgehub.setup.json, not in an appended wrangler.toml section: an edited variable is kept
  // in that file's `vars`, and wrangler.toml is never touched.
  it("runs again over its own choices: replaces the hosts, keeps an edited variable", async () => {
    const path = copyConfig();
    const shippedCopy = readFileSync(path, "utf8");
    await setup(path, "mirror.example.com", "--subdomains", "ghcr");
    const choicesPath = join(dirname(path), "edgehub.setup.json");
    const choices = JSON.parse(readFileSync(choicesPath, "utf8"));
    writeFileSync(choicesPath, JSON.stringify({ ...choices, vars: { HOME_PAGE: "nginx" } }));
    const result = await setup(path, "registry.example.org");
    expect(result.code, result.output).toBe(0);
    const { unstable_readConfig } = await import("wrangler");
    const production = unstable_readConfig({ config: effectivePath(path), env: "production" });
    expect(production.routes).toEqual([{ pattern: "registry.example.org", custom_domain: true }]);
    expect(production.vars).toMatchObject({
      HOME_PAGE: "nginx",
      MIRROR_HOST: "registry.example.org",
      MIRROR_SUBDOMAINS: "",
    });
    expect(readFileSync(path, "utf8")).toBe(shippedCopy);
  });

  it("gives the production environment each binding asked for, and it deploys", async () => {
    const path = copyConfig();
    const result = await setup(path, "mirror.example.com", "--r2", "my-blobs", "--rate-limit", "120");
    expect(result.code, result.output).toBe(0);
    expectDeploys(await dryRun(effectivePath(path), "production"), ["BLOBS", "RATE_LIMITER"]);
    const { unstable_readConfig } = await import("wrangler");
    const production = unstable_readConfig({ config: effectivePath(path), env: "production" });
    expect(production.r2_buckets).toEqual([{ binding: "BLOBS", bucket_name: "my-blobs" }]);
    expect(production.ratelimits).toEqual([
      { name: "RATE_LIMITER", namespace_id: "1001", simple: { limit: 120, period: 60 } },
    ]);
  });

  it("refuses a name that is not a host name", async () => {
    const result = await setup(copyConfig(), "not a domain");
    expect(result.code).toBe(1);
    expect(result.output).toContain('domain "not a domain" is not a host name');
  });
});
