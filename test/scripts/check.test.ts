// `npm run check` runs the Worker's own parser over every environment of wrangler.toml, with the secrets it can
// find, and fails with the message a request would get; build and deploy run it first.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { copyConfig, offline, root, run } from "./wrangler";

/** A copy of wrangler.toml with one [vars] value replaced (the variable must be there). */
function withVar(name: string, value: string, text = readFileSync(join(root, "wrangler.toml"), "utf8")): string {
  const line = new RegExp(`^${name} = .*$`, "m");
  expect(text).toMatch(line);
  return text.replace(line, `${name} = ${JSON.stringify(value)}`);
}

/** `npm run check` on a config, with these secrets in a .dev.vars beside it (a harmless one when none are given). */
function check(path: string, devVars: Record<string, string> = { UPSTREAM_CREDENTIALS: "{}" }) {
  writeFileSync(
    join(dirname(path), ".dev.vars"),
    Object.entries(devVars)
      .map(([k, v]) => `${k}='${v}'`)
      .join("\n"),
  );
  return run(process.execPath, [join(root, "scripts/check.mjs"), "--config", path]);
}

const MALFORMED: [string, string][] = [
  ["UPSTREAMS", "{not json"],
  ["UPSTREAM_TIMEOUT_SECONDS", "-1"],
  ["UPSTREAM_IDLE_TIMEOUT_SECONDS", "forever"],
  ["HOME_PAGE", "blog"],
  ["TAG_TTL_SECONDS", "soon"],
  ["CACHE", "maybe"],
  ["ALLOWED_REPOSITORIES", '["library/*"]'],
  ["DENIED_REPOSITORIES", '{"nosuchroute": ["x"]}'],
  ["BLOCKED_USER_AGENTS", '["bot"]'],
  ["UPSTREAM_FALLBACKS", '{"docker": "ftp://mirror.example"}'],
  ["UPSTREAM_FALLBACKS", '{"docker": ["https://mirror.gcr.io", 3]}'],
  ["SHARE_UPSTREAM_CREDENTIALS", "yes"],
  ["MIRROR_HOST", "https://mirror.example.com/"],
  ["MIRROR_SUBDOMAINS", "nosuchroute.example.com"],
];

describe("npm run check", () => {
  it("passes the shipped wrangler.toml, saying where the secrets came from", async () => {
    const result = await check(copyConfig());
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("ok    default environment: ");
    // .dev.vars is what `npm start` reads; a deployed environment's secrets come from Cloudflare, never from it.
    expect(result.output).toContain("ok    npm start: wrangler.toml [vars], .dev.vars (UPSTREAM_CREDENTIALS)");
  });

  it.each(MALFORMED)("fails on a malformed %s with the message a request would get", async (name, value) => {
    const result = await check(copyConfig(withVar(name, value)));
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(`error default environment: mirror misconfigured: ${name} `);
  });

  it("fails on DOCKERHUB_TOKEN alone, the first thing a user hit by Docker Hub's 429 sets", async () => {
    const result = await check(copyConfig(), { DOCKERHUB_USERNAME: "someone", DOCKERHUB_TOKEN: "dckr_pat_x" });
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain(
      "mirror misconfigured: DOCKERHUB_TOKEN would let anyone who finds this mirror pull",
    );
    expect(result.output).not.toContain("dckr_pat_x");
    const shared = await check(copyConfig(withVar("SHARE_UPSTREAM_CREDENTIALS", "true")), {
      DOCKERHUB_USERNAME: "someone",
      DOCKERHUB_TOKEN: "dckr_pat_x",
    });
    expect(shared.code, shared.output).toBe(0);
  });

  it("checks the production environment setup wrote, on its own variables", async () => {
    const path = copyConfig();
    await run(process.execPath, [join(root, "scripts/setup.mjs"), "mirror.example.com", "--config", path]);
    // setup's choices live in edgehub.setup.json; its `vars` override [vars] in the environment setup writes.
    const choices = join(dirname(path), "edgehub.setup.json");
    writeFileSync(
      choices,
      JSON.stringify({ ...JSON.parse(readFileSync(choices, "utf8")), vars: { TAG_TTL_SECONDS: "soon" } }),
    );
    const result = await check(path);
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain("ok    default environment");
    expect(result.output).toContain("error [env.production]: mirror misconfigured: TAG_TTL_SECONDS ");
  });

  it("without local secrets or Cloudflare, says it checked none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edgehub-nosecrets-"));
    const path = join(dir, "wrangler.toml");
    writeFileSync(path, readFileSync(copyConfig(), "utf8"));
    const environment = Object.fromEntries(
      Object.entries(offline).filter(
        ([k]) => !k.startsWith("DOCKERHUB_") && !k.startsWith("MIRROR_") && k !== "UPSTREAM_CREDENTIALS",
      ),
    );
    const result = await run(process.execPath, [join(root, "scripts/check.mjs"), "--config", path], {
      env: { ...environment, CLOUDFLARE_API_TOKEN: "" },
    });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("`wrangler secret list` could not reach Cloudflare");
  });

  it("stops npm run build before it bundles anything", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "edgehub-build-"));
    const path = copyConfig(withVar("CACHE", "maybe"));
    writeFileSync(join(dirname(path), ".dev.vars"), "UPSTREAM_CREDENTIALS='{}'");
    const result = await run(process.execPath, [
      join(root, "scripts/deploy.mjs"),
      "--dry-run",
      "--config",
      path,
      "--outdir",
      outdir,
    ]);
    expect(result.code).toBe(1);
    expect(result.output).toContain("Not building: fix the configuration above");
    expect(result.output).not.toContain("--dry-run: exiting now");
  });

  it("lets npm run build dry-run the environment deploy ships: production once setup wrote it", async () => {
    const path = copyConfig();
    await run(process.execPath, [join(root, "scripts/setup.mjs"), "mirror.example.com", "--config", path]);
    writeFileSync(join(dirname(path), ".dev.vars"), "UPSTREAM_CREDENTIALS='{}'");
    const result = await run(process.execPath, [
      join(root, "scripts/deploy.mjs"),
      "--dry-run",
      "--config",
      path,
      "--outdir",
      mkdtempSync(join(tmpdir(), "edgehub-build-")),
    ]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('Building the "production" environment');
    expect(result.output).toContain('env.MIRROR_HOST ("mirror.example.com")');
  });
});
