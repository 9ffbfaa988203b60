/**
 * Parsing helpers for values that come from outside (variables, upstream answers): each returns undefined for
 * anything it does not recognise, so callers decide what a bad value means.
 */

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An absolute http(s) URL, or undefined for anything else (relative, garbage, another scheme). */
export function parseHttpUrl(value: unknown): URL | undefined {
  if (typeof value !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === "https:" || url.protocol === "http:" ? url : undefined;
}

/** What comes before the first `separator` (all of `value` when there is none): `split(s, 1)[0]`, typed as a string. */
export function before(value: string, separator: string): string {
  const at = value.indexOf(separator);
  return at < 0 ? value : value.slice(0, at);
}

/** The JSON value in `input` (text, or UTF-8 bytes), or undefined when it is not JSON: JSON itself has no undefined. */
export function parseJson(input: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof input === "string" ? input : new TextDecoder().decode(input));
  } catch {
    return undefined;
  }
}
