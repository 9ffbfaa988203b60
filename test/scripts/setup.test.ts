// `npm run setup` as a user meets it: --workers-dev sets the default environment's options with no domain; a domain is
// cleaned of https:// and /, its zone said out loud; --stats binds the STATS Durable Object in every environment setup
// writes; every value written is validated and cannot break out of the file; --users never shares credentials.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, dryRun, effectivePath, problems, root, run, setup } from "./wrangler";

const { unstable_readConfig } = await import("wrangler");

/** A config whose Worker is a stub exporting StatsStore, so a dry run checks the bindings whatever src/ exports. */
function stubConfig(): string {
  const path = copyConfig();
  const stub = join(dirname(path), "stub.js");
  writeFileSync(
    stub,
    'import { DurableObject } from "cloudflare:workers";\nexport class StatsStore extends DurableObject {}\nexport default { fetch: () => new Response("") };\n',
  );
  writeFileSync(path, readFileSync(path, "utf8").replace(/^main = .*$/m, `main = ${JSON.stringify(stub)}`));
  return path;
}

describe("npm run setup -- --workers-dev", () => {
  it("sets the default environment's options, with no domain, and prints the secret commands without --env", async () => {
    const path = copyConfig();
    const shipped = readFileSync(path, "utf8");
    const result = await setup(path, "--workers-dev", "--r2", "--rate-limit", "100", "--users", "--dockerhub");
    expect(result.code, result.output).toBe(0);
    const config = unstable_readConfig({ config: effectivePath(path) });
    expect(config.workers_dev).toBe(true);
    expect(config.routes ?? []).toEqual([]);
    expect(Object.keys(config.env ?? {})).toEqual([]);
    expect(config.r2_buckets).toEqual([{ binding: "BLOBS", bucket_name: "edgehub-blobs" }]);
    expect(config.ratelimits).toEqual([
      { name: "RATE_LIMITER", namespace_id: "1001", simple: { limit: 100, period: 60 } },
    ]);
    expect(config.vars).toMatchObject({ MIRROR_HOST: "", SHARE_UPSTREAM_CREDENTIALS: "false" });
    for (const name of ["MIRROR_USERS", "MIRROR_TOKEN_SECRET", "DOCKERHUB_USERNAME", "DOCKERHUB_TOKEN"])
      expect(result.output).toMatch(new RegExp(`^  npx wrangler secret put ${name}( |$)`, "m"));
    expect(result.output).not.toContain("--env");
    expect(result.output).toContain("npx wrangler r2 bucket create edgehub-blobs");
    expect(readFileSync(path, "utf8")).toBe(shipped);
    const deployed = await dryRun(effectivePath(path), "");
    expect(problems(deployed.output), deployed.output).toEqual([]);
    expect(deployed.output).toContain("env.BLOBS (edgehub-blobs)");
    expect(deployed.output).toContain("env.RATE_LIMITER");
  });
});

describe("npm run setup with a domain", () => {
  it("strips https:// and a trailing / with a note, and says which zone it assumed and how to change it", async () => {
    const path = copyConfig();
    const result = await setup(path, "https://mirror.sub.example.com/");
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(
      'note: using the host name mirror.sub.example.com (from "https://mirror.sub.example.com/")',
    );
    expect(result.output).toContain(
      "note: assumed the Cloudflare zone sub.example.com (mirror.sub.example.com without its first label); if your zone is another, run setup again with --zone example.com",
    );
    expect(unstable_readConfig({ config: effectivePath(path), env: "production" }).vars).toMatchObject({
      MIRROR_HOST: "mirror.sub.example.com",
    });
    const named = await setup(path, "mirror.sub.example.com", "--zone", "example.com");
    expect(named.output).not.toContain("assumed the Cloudflare zone");
  });

  it("says so when the domain's first label is a route name", async () => {
    const result = await setup(copyConfig(), "ghcr.corp.example");
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('note: ghcr.corp.example begins with the route name "ghcr"');
  });

  it("--stats binds STATS (with its migration) in every environment and prints the STATS_TOKEN command", async () => {
    const path = stubConfig();
    const result = await setup(path, "mirror.example.com", "--stats", "--r2");
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/^ {2}npx wrangler secret put STATS_TOKEN --env production --config \S+/m);
    for (const env of ["", "production"]) {
      const config = unstable_readConfig({ config: effectivePath(path), env });
      expect(config.durable_objects.bindings, env).toEqual([{ name: "STATS", class_name: "StatsStore" }]);
      expect(config.migrations).toEqual([{ tag: "v1", new_sqlite_classes: ["StatsStore"] }]);
      const deployed = await dryRun(effectivePath(path), env);
      expect(problems(deployed.output), deployed.output).toEqual([]);
      expect(deployed.output).toContain("env.STATS (StatsStore)");
    }
    const workersDev = stubConfig();
    expect((await setup(workersDev, "--workers-dev", "--stats")).output).toMatch(
      /^ {2}npx wrangler secret put STATS_TOKEN( |$)/m,
    );
    const deployed = await dryRun(effectivePath(workersDev), "");
    expect(problems(deployed.output), deployed.output).toEqual([]);
    expect(deployed.output).toContain("env.STATS (StatsStore)");
  });
});

describe("a wrangler.toml an earlier setup appended to", () => {
  it("is left alone, and setup says how to drop the old section so git pull merges again", async () => {
    const old = `${readFileSync(copyConfig(), "utf8")}\n# ---- [env.production]: written by \`npm run setup\` (npm run setup -- old.example.com); run it again to change. ----\n[env.production]\nworkers_dev = false\n`;
    const path = copyConfig(old);
    const result = await setup(path, "mirror.example.com");
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("still has the [env.production] section an earlier setup appended");
    expect(result.output).toContain("run git checkout -- wrangler.toml to drop it");
    expect(readFileSync(path, "utf8")).toBe(old);
    expect(unstable_readConfig({ config: effectivePath(path), env: "production" }).vars).toMatchObject({
      MIRROR_HOST: "mirror.example.com",
    });
  });
});

describe("what setup writes", () => {
  // #21: a bucket name with quotes and newlines used to be written into wrangler.toml as is, injecting secrets.
  it("refuses a bucket name R2 would refuse, and writes nothing", async () => {
    const injection =
      'x"\nMIRROR_USERS = "evil:evil-password"\nMIRROR_TOKEN_SECRET = "0123456789abcdef0123456789abcdef';
    for (const bucket of [injection, "ab", "Blobs", "-blobs", "blobs-", "my_blobs", "a".repeat(64)]) {
      const path = copyConfig();
      const result = await setup(path, "mirror.example.com", `--r2=${bucket}`);
      expect(result.code, bucket).toBe(1);
      expect(result.output).toContain("is not an R2 bucket name");
      expect(() => readFileSync(join(dirname(path), "edgehub.setup.json"))).toThrow();
    }
    const path = copyConfig();
    expect((await setup(path, "mirror.example.com", "--r2", injection.split("\n")[0]!)).code).toBe(1);
    expect((await setup(path, "mirror.example.com", "--r2", `a${"b".repeat(61)}c`)).code).toBe(0);
  });

  it("reads back only what it would write: a hand-edited bucket name or secret in the file fails, nothing injected", async () => {
    const path = copyConfig();
    await setup(path, "mirror.example.com", "--r2");
    const file = join(dirname(path), "edgehub.setup.json");
    const choices = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...choices, r2: 'x"\nMIRROR_USERS = "a:b' }));
    const check = await setup(path, "mirror.example.com");
    expect(check.output).toContain("is not a bucket name");
    writeFileSync(file, JSON.stringify({ ...choices, vars: { MIRROR_USERS: "evil:evil-password" } }));
    const build = await run(process.execPath, [join(root, "scripts/deploy.mjs"), "--dry-run", "--config", path]);
    expect(build.code, build.output).toBe(1);
    expect(build.output).toContain("vars.MIRROR_USERS is a secret: set it with npx wrangler secret put MIRROR_USERS");
    expect(build.output).not.toContain("evil");
  });

  // #21: setup must never turn SHARE_UPSTREAM_CREDENTIALS on with --users (users are what guards the credentials).
  it("turns SHARE_UPSTREAM_CREDENTIALS on only for --dockerhub without --users", async () => {
    const shared = async (...args: string[]) => {
      const path = copyConfig();
      expect((await setup(path, ...args)).code).toBe(0);
      const env = args.includes("--workers-dev") ? "" : "production";
      return unstable_readConfig({ config: effectivePath(path), env }).vars.SHARE_UPSTREAM_CREDENTIALS;
    };
    expect(await shared("mirror.example.com", "--users", "--dockerhub")).toBe("false");
    expect(await shared("mirror.example.com", "--users")).toBe("false");
    expect(await shared("--workers-dev", "--users", "--dockerhub")).toBe("false");
    expect(await shared("mirror.example.com", "--dockerhub")).toBe("true");
  });
});
