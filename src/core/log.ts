/**
 * Structured log lines (Workers Logs indexes JSON). Never headers or query strings: they can carry tokens.
 */

/** One JSON line: what happened (`msg`) and the fields that say about what. */
export function logEvent(level: "log" | "warn" | "error", msg: string, fields: Record<string, unknown>): void {
  console[level](JSON.stringify({ msg, ...fields }));
}

/** The message of anything thrown, for a log line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An upstream URL as a log line may hold it: origin and path, without the query (a presigned URL's is a credential). */
export function logUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}
