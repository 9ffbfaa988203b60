/// <reference types="vite/client" />
// The house stays one-way: every import in src/ (type imports included) points at a module of its own layer or of
// an earlier one, in the order a request travels, and no set of modules imports itself round in a circle.
import { describe, expect, it } from "vitest";

/** The layers, earliest first. A module may import only from its own layer and those before it. */
const LAYERS = [
  "core",
  "config",
  "routing",
  "access",
  "cache",
  "upstream",
  "respond",
  "pages",
  "stats",
  "entry",
] as const;

/** src/ as text, by path (`src/cache/store.ts`). */
const SOURCES = Object.fromEntries(
  Object.entries(import.meta.glob<string>("../../src/**/*.ts", { query: "?raw", import: "default", eager: true })).map(
    ([path, text]) => [path.replace("../../", ""), text],
  ),
);

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]/g;

/** The layer of a module: its folder under src/, or "entry" for src/*.ts. */
function layerOf(path: string): (typeof LAYERS)[number] {
  const folder = path.split("/").length > 2 ? path.split("/")[1] : "entry";
  const layer = LAYERS.find((name) => name === folder);
  if (!layer) throw new Error(`${path} is in no layer: add its folder to LAYERS in the order a request reaches it`);
  return layer;
}

/** The modules of src/ a module imports (relative imports that resolve to a .ts file of src/). */
function importsOf(path: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? "";
    const parts = path.split("/").slice(0, -1);
    for (const part of spec.split("/")) {
      if (part === "..") parts.pop();
      else if (part !== ".") parts.push(part);
    }
    const resolved = [`${parts.join("/")}.ts`, `${parts.join("/")}/index.ts`].find((candidate) => candidate in SOURCES);
    if (resolved) found.push(resolved);
  }
  return found;
}

/** Every import that points at a later layer, as "from -> to". */
function backwardImports(graph: Record<string, string[]>): string[] {
  return Object.entries(graph).flatMap(([from, targets]) =>
    targets.filter((to) => LAYERS.indexOf(layerOf(to)) > LAYERS.indexOf(layerOf(from))).map((to) => `${from} -> ${to}`),
  );
}

/** Every circle of imports, each as the modules on it (Tarjan's strongly connected components of two or more). */
function circles(graph: Record<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph[node] ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of Object.keys(graph)) if (!index.has(node)) visit(node);
  return found;
}

const GRAPH = Object.fromEntries(Object.entries(SOURCES).map(([path, text]) => [path, importsOf(path, text)]));

describe("the import graph of src/", () => {
  it("was read: every layer has modules, and the entry imports the steps", () => {
    for (const layer of LAYERS)
      expect(
        Object.keys(SOURCES).some((path) => layerOf(path) === layer),
        layer,
      ).toBe(true);
    expect(GRAPH["src/index.ts"]!.length).toBeGreaterThan(5);
  });

  it("imports only from the same or an earlier layer", () => {
    expect(backwardImports(GRAPH)).toEqual([]);
  });

  it("has no circle", () => {
    expect(circles(GRAPH)).toEqual([]);
  });

  it("keeps every file under 250 lines", () => {
    const long = Object.entries(SOURCES)
      .filter(([, text]) => text.split("\n").length > 251)
      .map(([path]) => path);
    expect(long).toEqual([]);
  });

  it("would see a back-import and a circle (the checks are not vacuous)", () => {
    const bent = { ...GRAPH, "src/cache/store.ts": [...GRAPH["src/cache/store.ts"]!, "src/respond/registry.ts"] };
    expect(backwardImports(bent)).toEqual(["src/cache/store.ts -> src/respond/registry.ts"]);
    const round = { ...GRAPH, "src/core/log.ts": ["src/core/http.ts"], "src/core/http.ts": ["src/core/log.ts"] };
    expect(circles(round)).toContainEqual(["src/core/http.ts", "src/core/log.ts"]);
  });

  it("counts type imports too", () => {
    expect(importsOf("src/cache/context.ts", SOURCES["src/cache/context.ts"]!)).toContain("src/routing/routed.ts");
  });
});
