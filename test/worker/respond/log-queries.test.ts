// docs/operating.md's Workers Logs queries name only fields the Worker's log lines carry: run a pull that misses, one
// that hits, and an upstream 429, collect every JSON line logged, and check each field each query filters or groups on.

import { describe, expect, it, vi } from "vitest";
import operating from "../../../docs/operating.md?raw";
import { fakeHub, freshRepository, HUB } from "../support/fake-registry";
import { callWorker, fakeUpstreams, settled } from "../support/fake-upstream";
import { type LogQuery, logQueriesIn } from "../support/log-queries";

/** docs/operating.md's queries. */
function operatingQueries(): LogQuery[] {
  return logQueriesIn(operating);
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

describe("docs/operating.md's Workers Logs queries", () => {
  const queries = operatingQueries();

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
