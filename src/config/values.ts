/**
 * Readers of one variable each: a flag, a number of seconds. Unset or empty means the default; anything else that
 * does not parse fails with a message naming the variable and what it takes.
 */
import { configError } from "../core/errors";

/** A day: past that, a tag is effectively pinned, which is what digests are for. */
const MAX_TAG_TTL_SECONDS = 86_400;

/** A two-valued variable, such as "true"/"false" or "on"/"off" (any case); unset or empty means `fallback`. */
export function parseFlag(variable: string, raw: string | undefined, fallback = false, words: readonly [string, string] = ["true", "false"]): boolean {
  const value = (raw ?? "").trim().toLowerCase();
  if (value === "") return fallback;
  if (value === words[0]) return true;
  if (value === words[1]) return false;
  throw configError(variable, `must be "${words[0]}" or "${words[1]}"`);
}

/** Seconds, more than 0 and at most 600 (or exactly 0 when `zeroIsOff`). */
export function parseSeconds(variable: string, raw: string | undefined, fallback: number, options: { zeroIsOff?: boolean } = {}): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const seconds = Number(raw);
  if (options.zeroIsOff && seconds === 0) return 0;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw configError(variable, `must be a number of seconds between 0 and 600${options.zeroIsOff ? " (0 turns it off)" : ""}`);
  }
  return seconds;
}

/** A tag TTL: 0 (always revalidate) up to a day. */
export function parseTtl(variable: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_TAG_TTL_SECONDS) {
    throw configError(variable, `must be a number of seconds from 0 (always revalidate) to ${MAX_TAG_TTL_SECONDS}`);
  }
  return seconds;
}


/** A CPU budget: milliseconds, at least 1, at most 300 000 (five minutes, the longest any plan allows). */
export function parseMilliseconds(variable: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 1 || ms > 300_000) throw configError(variable, "must be a number of milliseconds from 1 to 300000");
  return ms;
}
