// After `npm run setup`, a `git pull` of a new version merges without conflict: setup's choices live in a gitignored
// file beside wrangler.toml, never in a tracked one, and the configuration wrangler gets carries both sides.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, effectivePath, root, run, setup } from "./wrangler";

const identity = [
  "-c",
  "user.name=edgehub test",
  "-c",
  "user.email=test@example.invalid",
  "-c",
  "commit.gpgsign=false",
];

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", [...identity, ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("git pull after npm run setup", () => {
  it.each([
    ["with a domain", ["mirror.example.com", "--users", "--r2"], "production"],
    ["with --workers-dev", ["--workers-dev", "--users", "--rate-limit", "100"], ""],
  ])("%s merges without conflict, and the new version's wrangler.toml is what runs", async (_, args, env) => {
    const dir = mkdtempSync(join(tmpdir(), "edgehub-upgrade-"));
    const origin = join(dir, "origin");
    execFileSync("mkdir", [origin]);
    git(origin, "init", "-q", "-b", "main");
    writeFileSync(join(origin, "wrangler.toml"), readFileSync(copyConfig(), "utf8"));
    writeFileSync(join(origin, ".gitignore"), readFileSync(join(root, ".gitignore"), "utf8"));
    git(origin, "add", ".");
    git(origin, "commit", "-q", "-m", "0.1.0");
    git(dir, "clone", "-q", origin, "clone");
    const clone = join(dir, "clone");

    const configured = await setup(join(clone, "wrangler.toml"), ...args);
    expect(configured.code, configured.output).toBe(0);
    expect(git(clone, "status", "--porcelain")).toBe("");

    // Upstream, a new version changes a default and adds a variable.
    const toml = readFileSync(join(origin, "wrangler.toml"), "utf8");
    expect(toml).toMatch(/^TAG_TTL_SECONDS = "300"$/m);
    writeFileSync(
      join(origin, "wrangler.toml"),
      toml.replace(/^TAG_TTL_SECONDS = "300"$/m, 'TAG_TTL_SECONDS = "600"\nA_NEW_OPTION = "yes"'),
    );
    git(origin, "commit", "-q", "-am", "0.2.0");
    git(clone, "pull", "-q", "--no-rebase");
    expect(git(clone, "log", "-1", "--format=%s")).toBe("0.2.0\n");

    // The next check (like start, build and deploy) hands wrangler both: the new defaults and setup's choices.
    const check = await run(process.execPath, [
      join(root, "scripts/check.mjs"),
      "--config",
      join(clone, "wrangler.toml"),
    ]);
    expect(check.output).toContain("edgehub.setup.json");
    const { unstable_readConfig } = await import("wrangler");
    const config = unstable_readConfig({ config: effectivePath(join(clone, "wrangler.toml")), env });
    expect(config.vars).toMatchObject({ TAG_TTL_SECONDS: "600", A_NEW_OPTION: "yes" });
    if (env) expect(config.vars).toMatchObject({ MIRROR_HOST: "mirror.example.com" });
    else
      expect(config.ratelimits).toEqual([
        { name: "RATE_LIMITER", namespace_id: "1001", simple: { limit: 100, period: 60 } },
      ]);
  });
});
