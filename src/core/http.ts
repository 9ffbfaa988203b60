/**
 * Small HTTP shapes every step repeats: copying an allow-list of headers, and the rule that a HEAD has no body.
 */

/** Copies the headers named in `names` (lower case) that `source` has into `into` (a new Headers by default). */
export function copyHeaders(source: Headers, names: readonly string[], into: Headers = new Headers()): Headers {
  for (const name of names) {
    const value = source.get(name);
    if (value !== null) into.set(name, value);
  }
  return into;
}

/** The body to answer `method` with: none for a HEAD (RFC 9110 section 9.3.2), the body otherwise. */
export function bodyFor<T extends BodyInit | null>(method: string, body: T): T | null {
  return method === "HEAD" ? null : body;
}
