/**
 * Readers of one variable each: a flag, a number of seconds. Unset or empty means the default; anything else that
 * does not parse fails with a message naming the variable and what it takes.
 */
import { configError } from "../core/errors";

/** Whether a variable is set: unset, empty and only spaces all mean "use the default". */
export function isSet(raw: string | undefined): raw is string {
  return raw !== undefined && raw.trim() !== "";
}

/** A day: past that, a tag is effectively pinned, which is what digests are for. */
const MAX_TAG_TTL_SECONDS = 86_400;

/** A two-valued variable, such as "true"/"false" or "on"/"off" (any case); unset or empty means `fallback`. */
export function parseFlag(
  variable: string,
  raw: string | undefined,
  fallback = false,
  words: readonly [string, string] = ["true", "false"],
): boolean {
  if (!isSet(raw)) return fallback;
  const value = raw.trim().toLowerCase();
  if (value === words[0]) return true;
  if (value === words[1]) return false;
  throw configError(variable, `must be "${words[0]}" or "${words[1]}"`);
}

/** A number as every numeric variable takes it: decimal digits with an optional fraction (`30`, `2.5`, `.5`). */
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)$/;

/** Seconds, above 0 and at most 600; also exactly 0 when `zeroIsOff` (the variable's way of saying "off"). */
export function parseSeconds(
  variable: string,
  raw: string | undefined,
  fallback: number,
  options: { zeroIsOff?: boolean } = {},
): number {
  if (!isSet(raw)) return fallback;
  const seconds = readDecimal(raw);
  if (options.zeroIsOff && seconds === 0) return 0;
  if (!(seconds > 0 && seconds <= 600)) {
    const accepted = "a number of seconds above 0 and at most 600, such as 30 or 2.5";
    throw configError(variable, `must be ${options.zeroIsOff ? `0 (off) or ${accepted}` : accepted}`);
  }
  return seconds;
}

/** A tag TTL: 0 (always revalidate) up to a day. */
export function parseTtl(variable: string, raw: string | undefined, fallback: number): number {
  if (!isSet(raw)) return fallback;
  const seconds = readDecimal(raw);
  if (!(seconds >= 0 && seconds <= MAX_TAG_TTL_SECONDS)) {
    throw configError(
      variable,
      `must be a number of seconds from 0 (always revalidate) to ${MAX_TAG_TTL_SECONDS}, such as 300`,
    );
  }
  return seconds;
}

/** The number a value spells, or NaN: no sign, exponent, hex or Infinity, which Number() would take. */
function readDecimal(raw: string): number {
  const text = raw.trim();
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}

/** A CPU budget: milliseconds, at least 1, at most 300 000 (five minutes, the longest any plan allows). */
export function parseMilliseconds(variable: string, raw: string | undefined, fallback: number): number {
  if (!isSet(raw)) return fallback;
  const ms = readDecimal(raw);
  if (!(ms >= 1 && ms <= 300_000)) throw configError(variable, "must be a number of milliseconds from 1 to 300000");
  return ms;
}
