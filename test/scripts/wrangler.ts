// Runs wrangler and the repository's scripts the way a user would, offline, on copies of wrangler.toml.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
/** The fake `wrangler secret list` (fake-wrangler.mjs): no test asks Cloudflare; FAKE_SECRETS says what it answers. */
export const fakeWrangler = join(root, "test/scripts/fake-wrangler.mjs");
export const offline: NodeJS.ProcessEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  NO_COLOR: "1",
  EDGEHUB_WRANGLER: fakeWrangler,
  FAKE_SECRETS: "",
  // CI makes check skip `wrangler secret list`; tests that mean CI say so.
  CI: "",
};

export interface Run {
  code: number;
  output: string;
}

/** Runs a command to its end; never rejects. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd ?? root, env: options.env ?? offline, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** A copy of wrangler.toml (or of `text`) in a fresh directory, its `main` pointing back at this repository's Worker. */
export function copyConfig(text = readFileSync(join(root, "wrangler.toml"), "utf8")): string {
  const dir = mkdtempSync(join(tmpdir(), "edgehub-config-"));
  const path = join(dir, "wrangler.toml");
  writeFileSync(path, text.replace(/^main = "src\//m, `main = "${root}src/`));
  return path;
}

/** `npm run setup -- …args` for the config at `path` (its choices land beside it). */
export function setup(path: string, ...args: string[]): Promise<Run> {
  return run(process.execPath, [join(root, "scripts/setup.mjs"), ...args, "--config", path]);
}

/** The configuration wrangler is given once setup ran beside the config at `path` (scripts/effective-config.mjs). */
export function effectivePath(path: string): string {
  return join(dirname(path), ".wrangler", "edgehub", "wrangler.jsonc");
}

/** `wrangler deploy --dry-run` of one environment ("" is the default) of the config at `path`. */
export function dryRun(path: string, env: string): Promise<Run> {
  const outdir = mkdtempSync(join(tmpdir(), "edgehub-dist-"));
  return run(join(root, "node_modules/.bin/wrangler"), [
    "deploy",
    "--dry-run",
    "--config",
    path,
    `--env=${env}`,
    "--outdir",
    outdir,
  ]);
}

/** Wrangler's warnings and errors in its output (it marks each with ▲ or ✘, or names it). */
export function problems(output: string): string[] {
  return output.split("\n").filter((line) => /▲|✘|\[WARNING\]|\[ERROR\]/.test(line));
}

/**
 * Every optional block of a wrangler.toml, as its comment says to enable it: a commented-out table header
 * (`# [[r2_buckets]]`) and the commented lines under it, up to the next blank line. Returns each block's header and
 * the text with just that block uncommented.
 */
export function uncommentEachBlock(text: string): { header: string; text: string }[] {
  const lines = text.split("\n");
  const variants: { header: string; text: string }[] = [];
  lines.forEach((line, start) => {
    if (!/^# \[\[?[a-z0-9_.]+\]\]?$/.test(line)) return;
    const copy = [...lines];
    for (let i = start; i < copy.length && copy[i]!.startsWith("# "); i++) copy[i] = copy[i]!.slice(2);
    variants.push({ header: line.slice(2), text: copy.join("\n") });
  });
  return variants;
}
