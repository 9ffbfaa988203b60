// docs/upstreams.md's Workers Logs queries name only fields the Worker's log lines carry: run a pull the Hub refuses
// and a fallback answers, collect every JSON line logged, and check each field each query filters or groups on.

import { describe, expect, it, vi } from "vitest";
import doc from "../../../docs/upstreams.md?raw";
import { fakeFallback } from "../support/fake-fallback";
import { fakeHub, freshRepository, makeImage } from "../support/fake-registry";
import { callWorker } from "../support/fake-upstream";
import { logQueriesIn } from "../support/log-queries";

describe("docs/upstreams.md's Workers Logs queries", () => {
  it("are there, and name only fields the log lines emit when a fallback answers", async () => {
    const queries = logQueriesIn(doc);
    expect(queries.length).toBeGreaterThanOrEqual(2);
    const logs = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const image = await makeImage(freshRepository(), "1");
    fakeHub({
      registry: (_r, url) => (url.pathname === "/v2/" ? undefined : new Response(null, { status: 429 })),
      extra: fakeFallback("mirror.gcr.io", [image]).hosts,
    });
    await (await callWorker(`https://example.com/v2/${image.repository}/manifests/${image.digest}`)).arrayBuffer();
    const fields = new Set(logs.mock.calls.flatMap(([text]) => Object.keys(JSON.parse(String(text)) as object)));
    expect(fields).toContain("fallback");
    for (const query of queries)
      expect(
        query.fields.filter((field) => !fields.has(field)),
        query.text,
      ).toEqual([]);
  });
});
