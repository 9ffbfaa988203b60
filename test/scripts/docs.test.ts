// README.zh-CN.md carries README.md whole in Chinese: a command, variable or table row named in one and missing from
// the other fails here, so the two cannot drift apart unnoticed. The rest of the documentation lives in docs/, each
// topic once: a table that appears twice, or a README grown past a ten-minute read, fails too.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./wrangler";

const COMMAND = /^(?:npm|npx|docker|curl|ctr|crane|sudo|podman|skopeo|openssl|kubectl|git|kind) /;

const read = (path: string) => readFileSync(join(root, path), "utf8");
const english = read("README.md");
const chinese = read("README.zh-CN.md");

/** Every command (code-block line or inline code starting with a command) and every VARIABLE_NAME a document names. */
function namedThings(markdown: string): { commands: Set<string>; variables: Set<string> } {
  const commands = new Set<string>();
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
  for (const block of blocks) {
    for (const line of block.split("\n")) {
      const text = line.replace(/\s+#\s.*$/, "").trim();
      if (text) commands.add(text);
    }
  }
  const prose = markdown.replace(/```[a-z]*\n[\s\S]*?```/g, "");
  for (const [, code = ""] of prose.matchAll(/`([^`\n]+)`/g)) if (COMMAND.test(code)) commands.add(code.trim());
  const variables = new Set([...markdown.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]));
  return { commands, variables };
}

/**
 * Each markdown table as its body rows, each row as the code spans it names, in any order (word order differs between
 * the languages; what a row names must not).
 */
function tables(markdown: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      current = undefined;
      continue;
    }
    if (!current) {
      current = [];
      found.push(current);
      continue; // the header row: its words are translated
    }
    if (/^\|[\s|:-]+\|$/.test(line)) continue;
    current.push([...new Set([...line.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ""))].sort());
  }
  return found;
}

function missing(from: Set<string>, other: Set<string>): string[] {
  return [...from].filter((x) => !other.has(x));
}

describe("README.zh-CN.md and README.md", () => {
  const en = namedThings(english);
  const zh = namedThings(chinese);

  it("name the same commands", () => {
    expect(en.commands.size).toBeGreaterThan(20);
    expect({
      missingInChinese: missing(en.commands, zh.commands),
      missingInEnglish: missing(zh.commands, en.commands),
    }).toEqual({ missingInChinese: [], missingInEnglish: [] });
  });

  it("name the same variables", () => {
    expect(en.variables.size).toBeGreaterThan(8);
    expect({
      missingInChinese: missing(en.variables, zh.variables),
      missingInEnglish: missing(zh.variables, en.variables),
    }).toEqual({ missingInChinese: [], missingInEnglish: [] });
  });

  it("have the same tables: the same rows, naming the same things in each row", () => {
    expect(tables(english).length).toBeGreaterThan(0);
    expect(tables(chinese)).toEqual(tables(english));
  });

  it("link each other", () => {
    expect(english).toContain("(README.zh-CN.md)");
    expect(chinese).toContain("(README.md)");
  });

  it("open with the two commands that run the mirror and every test", () => {
    for (const text of [english, chinese]) {
      const first = text.match(/```sh\n([\s\S]*?)```/)?.[1] ?? "";
      expect(first).toMatch(/^npm install && npm start\s.*\nnpm test\s/);
    }
  });

  it("say, before anything else about deploying, that mainland China needs your own domain", () => {
    const opening = chinese.slice(0, chinese.indexOf("## 部署"));
    expect(opening).toMatch(/中国大陆/);
    expect(opening).toMatch(/DNS 污染|屏蔽/);
    expect(chinese.indexOf("#### 使用自己的域名")).toBeLessThan(chinese.indexOf("#### 部署到 workers.dev"));
    const deploy = english.slice(english.indexOf("## Deploy"), english.indexOf("### 1."));
    expect(deploy).toMatch(/mainland China/);
    expect(deploy).toMatch(/blocked/);
  });

  it("cover the clients the page at / covers (test/worker/pages/languages.test.ts), then Verify and Troubleshoot", () => {
    const clients = [
      "Docker Engine",
      "Docker Desktop",
      "Synology",
      "containerd",
      "k3s",
      "kind",
      "podman",
      "Kubernetes",
    ];
    for (const text of [english, chinese]) {
      // Each client is a bold lead-in of its own: **Synology**, **群晖 Synology**, **podman / skopeo …**.
      const leads = [...text.matchAll(/^\*\*([^*\n]+)\*\*/gm)].map((m) => m[1] ?? "").join("\n");
      for (const client of clients) expect(leads, client).toContain(client);
    }
    expect(english).toMatch(/## Verify[\s\S]*## Troubleshoot/);
    expect(chinese).toMatch(/## 验证[\s\S]*## 故障排查/);
    for (const text of [english, chinese]) expect(text).toContain("registry.configs.");
  });

  it("call the mirror 镜像站 or 加速器, never 拉取镜像", () => {
    expect(chinese).toContain("镜像站");
    expect(chinese).not.toMatch(/拉取镜像[（(]/);
  });
});

describe("the documentation", () => {
  it("CHANGELOG.md's newest version is package.json's", () => {
    const { version } = JSON.parse(read("package.json")) as { version: string };
    expect(read("CHANGELOG.md").match(/^## \[(\d+\.\d+\.\d+)\]/m)?.[1]).toBe(version);
  });

  const documents = ["README.md", ...readdirSync(join(root, "docs")).map((name) => `docs/${name}`)];

  it("README.md is a ten-minute read: at most 30 KB", () => {
    expect(Buffer.byteLength(english)).toBeLessThanOrEqual(30_000);
  });

  it("says each thing once: one variable table, one credentials table, one benchmark against direct, one troubleshooting table", () => {
    const homes: string[] = [];
    for (const path of documents) {
      const lines = read(path).split("\n");
      lines.forEach((line, i) => {
        if (!/^\|[\s|:-]+\|$/.test(lines[i + 1] ?? "")) return; // a header is the line above a separator
        const first = line.split("|")[1]?.trim() ?? "";
        if (/^(variable|whose credentials|symptom|command|path)$/.test(first)) homes.push(`${first} in ${path}`);
      });
    }
    expect(homes.sort()).toEqual([
      "command in docs/operating.md",
      "path in docs/performance.md",
      "symptom in README.md",
      "variable in docs/configuration.md",
      "whose credentials in docs/access.md",
    ]);
  });

  it("says the Cache API works on workers.dev, nowhere that it keeps nothing", () => {
    for (const path of documents) expect(read(path), path).not.toMatch(/keeps\s+nothing/);
  });

  it("names only source and test files that exist (globs and generated reports aside)", () => {
    for (const path of [...documents, "README.zh-CN.md", "CHANGELOG.md"]) {
      for (const [, file = ""] of read(path).matchAll(/`((?:src|test|scripts)\/[\w./-]+\.\w+)`/g)) {
        expect(existsSync(join(root, file)), `${path} names ${file}`).toBe(true);
      }
    }
  });

  it("links only documents that exist", () => {
    const exists = new Set([...documents, "README.zh-CN.md", "CHANGELOG.md", "src/README.md", "test/README.md"]);
    for (const path of [...documents, "README.zh-CN.md"]) {
      const base = path.includes("/") ? "docs/" : "";
      for (const [, target = ""] of read(path).matchAll(/\]\(((?:\.\.\/)?[\w./-]+\.md)(?:#[^)]*)?\)/g)) {
        const resolved = target.startsWith("../") ? target.slice(3) : `${base}${target}`;
        expect(exists.has(resolved), `${path} links ${target}`).toBe(true);
      }
    }
  });
});
