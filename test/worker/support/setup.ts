// Runs around every test of the "worker" project: lets the Worker finish what it left in ctx.waitUntil (cache
// writes, probes) while the test's fake upstream is still in place, then removes the fakes and spies, and forgets
// what the isolate remembered (tokens, realms, verdicts), so no test depends on the one before it.
import { afterEach, vi } from "vitest";
import { isolate } from "../../../src/core/isolate";
import { settled } from "./fake-upstream";

afterEach(async () => {
  await settled();
  vi.restoreAllMocks();
  isolate.clear();
});
