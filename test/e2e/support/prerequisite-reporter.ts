/**
 * Prints, at the end of a run, how many tests were skipped because something they need is not installed, and why,
 * per file: a local run without the clients passes, and says so. (In CI the guard throws instead: prerequisites.ts.)
 */
import { relative } from "node:path";
import type { UserConsoleLog } from "vitest";
import type { Reporter, TestModule } from "vitest/node";

/** Same text as SKIP_MARK in prerequisites.ts (not imported: the reporter loads in the main process with the config). */
const SKIP_MARK = "[missing prerequisite]";

/** Collects the guard's warnings per test module and counts the skipped tests of those modules. */
export class PrerequisiteReporter implements Reporter {
  #reasons = new Map<string, Set<string>>();

  onUserConsoleLog(log: UserConsoleLog): void {
    const at = log.content.indexOf(SKIP_MARK);
    if (at < 0) return;
    const key = log.taskId ?? "";
    const reasons = this.#reasons.get(key) ?? new Set<string>();
    for (const line of log.content.slice(at).split("\n"))
      if (line.startsWith(SKIP_MARK)) reasons.add(line.slice(SKIP_MARK.length).trim());
    this.#reasons.set(key, reasons);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (this.#reasons.size === 0) return;
    const lines: string[] = [];
    let total = 0;
    for (const module of testModules) {
      const reasons = [...(this.#reasons.get(module.id) ?? [])];
      if (reasons.length === 0) continue;
      const skipped = [...module.children.allTests()].filter((test) => test.result().state === "skipped").length;
      total += skipped;
      lines.push(`  ${relative(process.cwd(), module.moduleId)}: ${skipped} skipped (${reasons.join("; ")})`);
    }
    console.log(
      `\n${total} tests skipped for missing prerequisites (CI=true makes these fail):\n${lines.join("\n")}\n`,
    );
  }
}

/** For `--reporter=./test/e2e/support/prerequisite-reporter.ts` (.ci/run names its reporters on the command line). */
export default PrerequisiteReporter;
