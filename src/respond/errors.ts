/**
 * The only place an OCI error body is built: `{"errors":[{"code","message","detail"}]}`.
 * Spec: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import type { ErrorCode, RegistryError } from "../core/errors";
import { bodyFor } from "../core/http";
import { isRecord } from "../core/parse";
import { registryHeaders } from "./headers";

/**
 * The client's response for a RegistryError (no body for a HEAD, but the same headers). An upstream's error is told
 * by the route's name (`upstream of route docker: …`, detail `route`), never by the upstream's host: the one place
 * that decides what a client learns about an upstream.
 */
export function errorResponse(error: RegistryError, method = "GET", route?: string): Response {
  const entry: { code: ErrorCode; message: string; detail?: unknown } = { code: error.code, message: error.message };
  if (error.detail !== undefined) entry.detail = error.detail;
  if (error.upstreamUrl !== undefined) {
    entry.message = `${route === undefined ? "upstream" : `upstream of route ${route}`}: ${error.message}`;
    if (route !== undefined) entry.detail = { route, ...(isRecord(error.detail) ? error.detail : {}) };
  }
  const body = JSON.stringify({ errors: [entry] });
  const headers = registryHeaders(error.headers);
  headers.set("Content-Type", "application/json; charset=utf-8");
  headers.set("Content-Length", String(new TextEncoder().encode(body).byteLength));
  return new Response(bodyFor(method, body), { status: error.status, headers });
}
