// `npm run check` checks what will run: `npm start` with .dev.vars over [vars] (all of it), each deploy environment
// with the secrets Cloudflare holds for it (a fake `wrangler secret list` here; never the local .dev.vars), and the
// secret each feature setup turned on needs. It names its sources, and says in one line what it could not check.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, offline, root, run, setup } from "./wrangler";

/** `npm run check` on the config at path, with this .dev.vars beside it (none when undefined) and FAKE_SECRETS. */
function check(path: string, devVars?: string, secrets?: Record<string, string[]> | "missing", env = {}) {
  if (devVars !== undefined) writeFileSync(join(dirname(path), ".dev.vars"), devVars);
  const fake = secrets === undefined ? "" : typeof secrets === "string" ? secrets : JSON.stringify(secrets);
  return run(process.execPath, [join(root, "scripts/check.mjs"), "--config", path], {
    env: { ...offline, FAKE_SECRETS: fake, ...env },
  });
}

const USERS = "MIRROR_USERS='alice:a-long-password'\nMIRROR_TOKEN_SECRET='0123456789abcdef0123456789abcdef'\n";

describe("npm run check: npm start", () => {
  it("fails on a malformed variable in .dev.vars, naming it, and names .dev.vars as a source", async () => {
    const result = await check(copyConfig(), 'TAG_TTL_SECONDS="5m"\n', {});
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("error npm start: mirror misconfigured: TAG_TTL_SECONDS ");
    expect(result.output).toContain("(npm start read: wrangler.toml [vars], .dev.vars (TAG_TTL_SECONDS))");
    // The deployed Worker does not read .dev.vars: it is fine.
    expect(result.output).toContain("ok    default environment: ");
  });

  it("says there is no .dev.vars only when there is none", async () => {
    const result = await check(copyConfig(), undefined, {});
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("ok    npm start: wrangler.toml [vars], no .dev.vars");
    const withFile = await check(copyConfig(), "HOME_PAGE=nginx\n", {});
    expect(withFile.output).toContain("ok    npm start: wrangler.toml [vars], .dev.vars (HOME_PAGE)");
    expect(withFile.output).not.toContain("no .dev.vars");
  });

  it("after setup --workers-dev --users, fails while .dev.vars lacks MIRROR_USERS", async () => {
    const path = copyConfig();
    await setup(path, "--workers-dev", "--users");
    const result = await check(path, "", { "": ["MIRROR_USERS", "MIRROR_TOKEN_SECRET"] });
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("error npm start: MIRROR_USERS is not set: the mirror would be open to anyone");
    expect(result.output).toContain("ok    default environment: ");
    expect((await check(path, USERS, { "": ["MIRROR_USERS", "MIRROR_TOKEN_SECRET"] })).code).toBe(0);
  });
});

describe("npm run check: deploy environments", () => {
  it("takes production's secrets from wrangler secret list, never from .dev.vars", async () => {
    const path = copyConfig();
    await setup(path, "mirror.example.com", "--users", "--dockerhub", "--stats");
    const result = await check(
      path,
      `${USERS}DOCKERHUB_USERNAME=me\nDOCKERHUB_TOKEN=dckr_pat_x\nSTATS_TOKEN=0123456789abcdef0123456789abcdef\n`,
      {
        production: ["MIRROR_USERS", "MIRROR_TOKEN_SECRET"],
      },
    );
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("ok    npm start: ");
    expect(result.output).toContain(
      "error [env.production]: DOCKERHUB_USERNAME is not set: pulls would be anonymous, within Docker Hub's rate limit",
    );
    expect(result.output).toContain("error [env.production]: DOCKERHUB_TOKEN is not set");
    expect(result.output).toContain("error [env.production]: STATS_TOKEN is not set: nobody could read /stats");
    expect(result.output).toContain("secrets (from `wrangler secret list`): MIRROR_USERS, MIRROR_TOKEN_SECRET");
    const all = ["MIRROR_USERS", "MIRROR_TOKEN_SECRET", "DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN", "STATS_TOKEN"];
    const complete = await check(path, undefined, { production: all });
    expect(complete.code, complete.output).toBe(0);
    expect(complete.output).toContain(`ok    [env.production]: `);
  });

  it("fails a feature whose secret a Worker never deployed cannot have (Cloudflare: does not exist)", async () => {
    const path = copyConfig();
    await setup(path, "mirror.example.com", "--users");
    const result = await check(path, undefined, "missing");
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(
      "error [env.production]: MIRROR_USERS is not set: the mirror would be open to anyone",
    );
  });

  it("offline or in CI, says in one line per environment what it did not check, and passes the rest", async () => {
    const path = copyConfig();
    await setup(path, "mirror.example.com", "--users");
    for (const [env, reason] of [
      [{}, "`wrangler secret list` could not reach Cloudflare (offline, or not logged in)"],
      [{ CI: "true" }, "in CI, `wrangler secret list` is not asked"],
    ] as const) {
      const log = join(dirname(path), "wrangler-calls.log");
      writeFileSync(log, "");
      const result = await check(path, undefined, undefined, { ...env, FAKE_WRANGLER_LOG: log });
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain(
        `note  [env.production]: not checked: its secrets, nor that MIRROR_USERS, MIRROR_TOKEN_SECRET are set (${reason})`,
      );
      expect(result.output).toContain(`note  default environment: not checked: its secrets (${reason})`);
      expect(readFileSync(log, "utf8").trim().split("\n").filter(Boolean)).toHaveLength(env.CI ? 0 : 2);
    }
  });
});
