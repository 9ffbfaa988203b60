// The two ways to deploy without the CLI: `npm run build` leaves one self-contained file to paste into the dashboard's
// editor, and the Deploy to Cloudflare button (Workers Builds) deploys the repository's wrangler.toml as it is.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, dryRun, offline, problems, root, run } from "./wrangler";

/** `npm run build` (deploy.mjs --dry-run) of the config at path into outdir. */
function build(path: string, outdir: string, env: NodeJS.ProcessEnv = offline) {
  return run(process.execPath, [join(root, "scripts/deploy.mjs"), "--dry-run", "--config", path, "--outdir", outdir], {
    env,
  });
}

describe("npm run build", () => {
  it("leaves one self-contained file, dist/edgehub.js, in modules syntax with nothing left to import", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "edgehub-dist-"));
    // What an older build left (wrangler writes index.js, its map and a README) goes.
    for (const stale of ["index.js", "index.js.map", "README.md"]) writeFileSync(join(outdir, stale), "old");
    const result = await build(copyConfig(), outdir);
    expect(result.code, result.output).toBe(0);
    expect(readdirSync(outdir)).toEqual(["edgehub.js"]);
    const bundle = readFileSync(join(outdir, "edgehub.js"), "utf8");
    expect(bundle).toMatch(/^export\s*\{[^}]*\bas default\b[^}]*\};?\s*$|^export default /m);
    // Only the runtime's own modules (cloudflare:*) may be imported: the dashboard has no other file to import.
    const imports = [
      ...bundle.matchAll(/^\s*import\b[^;]*?from\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/gm),
    ];
    expect(imports.map((m) => m[1] ?? m[2]).filter((specifier) => !specifier?.startsWith("cloudflare:"))).toEqual([]);
    expect(bundle).not.toContain("sourceMappingURL");
    expect(result.output).toContain(`Wrote ${join(outdir, "edgehub.js")}: one file`);
  });
});

describe("the Deploy to Cloudflare button", () => {
  it("deploys the shipped wrangler.toml as Workers Builds would: no setup file, no .dev.vars, in CI", async () => {
    const path = copyConfig();
    expect(readdirSync(dirname(path))).toEqual(["wrangler.toml"]);
    const { unstable_readConfig } = await import("wrangler");
    const config = unstable_readConfig({ config: join(root, "wrangler.toml") });
    expect(config.account_id).toBeUndefined();
    expect(Object.keys(config.env ?? {})).toEqual([]);
    const ci = { ...offline, CI: "true" };
    const plain = await run(
      join(root, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--config", path, "--outdir", mkdtempSync(join(tmpdir(), "edgehub-dist-"))],
      { env: ci },
    );
    expect(problems(plain.output), plain.output).toEqual([]);
    expect(plain.code, plain.output).toBe(0);
    const scripted = await build(path, mkdtempSync(join(tmpdir(), "edgehub-dist-")), ci);
    expect(scripted.code, scripted.output).toBe(0);
    expect(scripted.output).toContain("Building the default environment (workers.dev)");
    expect((await dryRun(path, "")).code).toBe(0);
  });
});
