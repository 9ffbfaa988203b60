// README's Workers Logs queries name only fields the Worker's log lines carry: run a pull that misses, one that hits,
// and an upstream 429, collect every JSON line logged, and check each field each query filters or groups on.

import { describe, expect, it, vi } from "vitest";
import readme from "../../../README.md?raw";
import { fakeHub, freshRepository, HUB } from "../support/fake-registry";
import { callWorker, fakeUpstreams, settled } from "../support/fake-upstream";

interface Query {
  text: string;
  fields: string[];
}

/** Each ```text block of README with a Visualization line, and the fields it names. */
function readmeQueries(): Query[] {
  return [...readme.matchAll(/```text\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((text) => text.startsWith("Visualization:"))
    .map((text) => {
      const line = (name: string) => text.match(new RegExp(`^${name}: (.*)$`, "m"))?.[1] ?? "";
      const aggregated = [...line("Visualization").matchAll(/\w+\((\w+)\)/g)].map((m) => m[1]!);
      const filtered = line("Filter")
        .split(" AND ")
        .filter(Boolean)
        .map((clause) => clause.split(" ")[0]!);
      const grouped = line("Group by")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      return { text, fields: [...aggregated, ...filtered, ...grouped] };
    });
}

async function loggedFields(): Promise<Set<string>> {
  const logs = vi.spyOn(console, "log").mockImplementation(() => {});
  fakeHub();
  const repository = freshRepository();
  await (await callWorker(`https://example.com/v2/${repository}/manifests/latest`)).arrayBuffer();
  await settled();
  await (await callWorker(`https://example.com/v2/${repository}/manifests/latest`)).arrayBuffer();
  fakeUpstreams({
    [HUB]: () =>
      new Response(null, {
        status: 429,
        headers: { "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" },
      }),
  });
  await (await callWorker(`https://example.com/v2/${freshRepository()}/manifests/latest`)).arrayBuffer();
  const fields = new Set<string>();
  for (const [text] of logs.mock.calls) {
    try {
      for (const key of Object.keys(JSON.parse(String(text)) as object)) fields.add(key);
    } catch {
      // not a JSON line
    }
  }
  return fields;
}

describe("README's Workers Logs queries", () => {
  const queries = readmeQueries();

  it("are there: pulls per image, cache hit ratio, upstream pulls avoided, 429s", () => {
    expect(queries.length).toBeGreaterThanOrEqual(4);
  });

  it("name only fields the log lines emit", async () => {
    const fields = await loggedFields();
    for (const query of queries) {
      expect(query.fields.length, query.text).toBeGreaterThan(0);
      expect(
        query.fields.filter((field) => !fields.has(field)),
        query.text,
      ).toEqual([]);
    }
  });
});
