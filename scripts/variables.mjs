// `npm run docs:vars`: writes docs/configuration.md's variable table and wrangler.toml's [vars] block from the one
// description of each variable (src/config/variables.ts, bundled for Node like check.mjs bundles the parser).
// `--check` writes nothing and exits 1 when a document is out of step; test/scripts/variables.test.ts runs the same
// comparison.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { root } from "./wrangler-config.mjs";

/** The document holding the variable table, relative to the repository root: the one place that says where it is. */
export const VARIABLES_DOC = "docs/configuration.md";
export const WRANGLER_TOML = "wrangler.toml";

const DOC_MARKERS = ["<!-- variables:start -->", "<!-- variables:end -->"];
const TOML_MARKERS = ["# variables:start", "# variables:end"];
const WIDTH = 120;

/** The table of src/config/variables.ts. */
export async function loadVariables() {
  const bundle = await build({
    entryPoints: [`${root}src/config/variables.ts`],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    logLevel: "silent",
  });
  const module = await import(
    `data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`
  );
  return module.VARIABLES;
}

/** The Markdown table: variable, default, meaning; columns padded so the source reads as a table too. */
export function renderTable(variables) {
  const rows = variables.map((v) => [
    `\`${v.name}\`${v.kind === "var" ? "" : ` (${v.kind})`}`,
    v.kind === "secret" ? "unset" : v.kind === "binding" ? "unbound" : `\`${v.default === "" ? '""' : v.default}\``,
    v.description,
  ]);
  const all = [["variable", "default", "meaning"], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...all.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [line(all[0]), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** wrangler.toml's [vars] entries, each under its description as a comment, then the secrets it must never hold. */
export function renderVars(variables) {
  const blocks = variables
    .filter((v) => v.kind === "var")
    .map((v) => {
      const example = v.example === undefined ? [] : [`Example: ${v.name} = ${tomlString(v.example)}`];
      return [...comment(v.description), ...example.flatMap(comment), `${v.name} = ${tomlString(v.default)}`].join(
        "\n",
      );
    });
  const secrets = variables.filter((v) => v.kind === "secret").map((v) => v.name);
  const note = comment(
    `Secrets, never in this file: set them with \`npx wrangler secret put NAME\` (for your own domain, the line \`npm run setup\` prints, with \`--env production\`), and for local runs in .dev.vars (gitignored): ${secrets.join(", ")}.`,
  );
  const source = comment("Written by `npm run docs:vars` from src/config/variables.ts: edit the descriptions there.");
  return [source.join("\n"), ...blocks, note.join("\n")].join("\n");
}

function tomlString(value) {
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

/** Text as `# ` comment lines of at most WIDTH characters. */
function comment(text) {
  const lines = [];
  let current = "#";
  for (const word of text.split(/\s+/)) {
    if (current.length + 1 + word.length > WIDTH && current !== "#") {
      lines.push(current);
      current = "#";
    }
    current += ` ${word}`;
  }
  lines.push(current);
  return lines;
}

/** `text` with what lies between its markers replaced by `content`. */
export function replaceBetween(text, [start, end], content, path) {
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} has no ${start} … ${end} markers`);
  const head = text.slice(0, from + start.length);
  return `${head}\n${content}\n${text.slice(to)}`;
}

/** Each generated document: its path, what it holds now, and what it should hold. */
export async function generated() {
  const variables = await loadVariables();
  return [
    [VARIABLES_DOC, DOC_MARKERS, renderTable(variables)],
    [WRANGLER_TOML, TOML_MARKERS, renderVars(variables)],
  ].map(([path, markers, content]) => {
    const current = readFileSync(`${root}${path}`, "utf8");
    return { path, current, wanted: replaceBetween(current, markers, content, path) };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  let stale = 0;
  for (const { path, current, wanted } of await generated()) {
    if (current === wanted) continue;
    stale++;
    if (values.check) console.error(`${path} is out of step with src/config/variables.ts: run npm run docs:vars`);
    else writeFileSync(`${root}${path}`, wanted);
  }
  process.exit(values.check && stale ? 1 : 0);
}
