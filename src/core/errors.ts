/**
 * Registry errors in the OCI distribution format.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */

/** The error codes edgehub answers with: the spec's codes plus distribution's UNKNOWN and UNAVAILABLE. */
export type ErrorCode =
  | "BLOB_UNKNOWN"
  | "MANIFEST_UNKNOWN"
  | "NAME_UNKNOWN"
  | "NAME_INVALID"
  | "TAG_INVALID"
  | "DIGEST_INVALID"
  | "PAGINATION_NUMBER_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "UNAVAILABLE"
  | "UNKNOWN";

/** The status each code answers with unless a caller has a more precise one (404 for an unknown path, 504 for a timeout). */
const STATUS: Record<ErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  MANIFEST_UNKNOWN: 404,
  NAME_UNKNOWN: 404,
  NAME_INVALID: 400,
  TAG_INVALID: 400,
  DIGEST_INVALID: 400,
  PAGINATION_NUMBER_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNAVAILABLE: 503,
  UNKNOWN: 500,
};

/** An error that becomes an OCI error response; throw it anywhere, `respond/errors.ts` turns it into JSON. */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  readonly status: number;
  readonly headers: Record<string, string>;
  /**
   * The upstream URL a failure came from, for the log only: an UPSTREAMS entry may be an internal host, so the client
   * is told the route instead (respond/errors.ts). Never serialised.
   */
  readonly upstreamUrl?: string;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      detail?: unknown;
      status?: number;
      headers?: Record<string, string>;
      cause?: unknown;
      upstreamUrl?: string;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "RegistryError";
    this.code = code;
    this.detail = options.detail;
    this.status = options.status ?? STATUS[code];
    this.headers = options.headers ?? {};
    if (options.upstreamUrl !== undefined) this.upstreamUrl = options.upstreamUrl;
  }
}

/**
 * An upstream's failure or refusal, said without naming it (`could not reach the upstream`): the client's message
 * gets the route's name in front (respond/errors.ts), and the log gets `url`.
 */
export function upstreamError(
  code: ErrorCode,
  problem: string,
  url: string,
  options: {
    detail?: Record<string, unknown>;
    status?: number;
    headers?: Record<string, string>;
    cause?: unknown;
  } = {},
): RegistryError {
  return new RegistryError(code, problem, { ...options, upstreamUrl: url });
}

/** A configuration error: every request fails with a 500 that names the variable and the fix, never the value. */
export function configError(variable: string, problem: string): RegistryError {
  return new RegistryError("UNKNOWN", `mirror misconfigured: ${variable} ${problem}`, { status: 500 });
}

/** Wraps anything thrown that is not a RegistryError as a 500 without leaking internals to the client. */
export function toRegistryError(thrown: unknown): RegistryError {
  if (thrown instanceof RegistryError) return thrown;
  return new RegistryError("UNKNOWN", "internal error in the mirror", { cause: thrown });
}

/**
 * Why an upstream answer or error means "the upstream is failing" (5xx, 429, unreachable, timed out), which is when a
 * cached copy may stand in for it; undefined when the upstream answered for itself (2xx-4xx).
 */
export function upstreamFailure(outcome: Response | unknown): string | undefined {
  if (outcome instanceof Response)
    return outcome.status >= 500 || outcome.status === 429 ? `upstream answered ${outcome.status}` : undefined;
  // Unreachable or timed out, or a 429 that the access layer already turned into TOOMANYREQUESTS (no fallback helped).
  if (outcome instanceof RegistryError && (outcome.code === "UNAVAILABLE" || outcome.code === "TOOMANYREQUESTS"))
    return outcome.message;
  return undefined;
}
