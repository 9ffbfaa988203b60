// README.zh-CN.md carries README.md's user guide (everything above its end marker) in Chinese: a command or variable
// named in one and missing from the other fails here, so the two cannot drift apart unnoticed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./wrangler";

const END_OF_GUIDE = "<!-- The user guide ends here";
const COMMAND = /^(?:npm|npx|docker|curl|ctr|crane|sudo|podman|skopeo|openssl) /;

/** The user guide of README.md: from the top to its end marker. */
function userGuide(text: string): string {
  const end = text.indexOf(END_OF_GUIDE);
  if (end < 0) throw new Error("README.md has no end-of-guide marker");
  return text.slice(0, end);
}

/** Every command (code-block line or inline code starting with a command) and every VARIABLE_NAME a document names. */
function namedThings(markdown: string): { commands: Set<string>; variables: Set<string> } {
  const commands = new Set<string>();
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  for (const block of blocks) {
    for (const line of block.split("\n")) {
      const text = line.replace(/\s+#\s.*$/, "").trim();
      if (text) commands.add(text);
    }
  }
  const prose = markdown.replace(/```[a-z]*\n[\s\S]*?```/g, "");
  for (const [, code] of prose.matchAll(/`([^`\n]+)`/g)) if (COMMAND.test(code!)) commands.add(code!.trim());
  const variables = new Set([...markdown.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)].map((m) => m[0]));
  return { commands, variables };
}

function missing(from: Set<string>, other: Set<string>): string[] {
  return [...from].filter((x) => !other.has(x));
}

describe("README.zh-CN.md and README.md's user guide", () => {
  const english = namedThings(userGuide(readFileSync(join(root, "README.md"), "utf8")));
  const chinese = namedThings(readFileSync(join(root, "README.zh-CN.md"), "utf8"));

  it("name the same commands", () => {
    expect(english.commands.size).toBeGreaterThan(20);
    expect({
      missingInChinese: missing(english.commands, chinese.commands),
      missingInEnglish: missing(chinese.commands, english.commands),
    }).toEqual({
      missingInChinese: [],
      missingInEnglish: [],
    });
  });

  it("name the same variables", () => {
    expect(english.variables.size).toBeGreaterThan(8);
    expect({
      missingInChinese: missing(english.variables, chinese.variables),
      missingInEnglish: missing(chinese.variables, english.variables),
    }).toEqual({
      missingInChinese: [],
      missingInEnglish: [],
    });
  });

  it("link each other", () => {
    expect(readFileSync(join(root, "README.md"), "utf8")).toContain("(README.zh-CN.md)");
    expect(readFileSync(join(root, "README.zh-CN.md"), "utf8")).toContain("(README.md)");
  });
});
