/**
 * The one guard every e2e file uses for what it needs on the machine (a client, a daemon, the registry, openssl,
 * Chromium). In CI (`CI=true`, which .ci/run sets) a missing prerequisite throws, so the file fails and the run exits
 * non-zero: a suite can never go green by skipping there. Locally the tests skip with a warning that names the
 * binary, and PrerequisiteReporter (vitest.config.ts) prints how many tests were skipped that way.
 */
import { missingCommand } from "../clients/process";

/** Marks the warning the reporter counts; prerequisite-reporter.ts matches the same text. */
export const SKIP_MARK = "[missing prerequisite]";

/** Why a stack (startStack: the imitation upstream and the Worker over HTTPS) cannot start here, or null. */
export function stackSkipReason(): string | null {
  return missingCommand(["docker-registry", "openssl"]);
}

/**
 * The first of `reasons` that is not null (each a runner's skipReason(), missingCommand(…), …) decides: null when
 * everything `suite` needs is here; otherwise a warning naming it and the reason, for `describe.skipIf`. In CI it
 * throws instead, which fails the file.
 */
export function requires(suite: string, ...reasons: (string | null)[]): string | null {
  const reason = reasons.find((r) => r !== null) ?? null;
  if (reason === null) return null;
  if (process.env.CI === "true") throw new Error(`${suite} must run in CI (CI=true), but ${reason}`);
  console.warn(`${SKIP_MARK} skipping ${suite}: ${reason}`);
  return reason;
}
