/**
 * What every page shares: escaping, and the headers of an HTML answer. Everything interpolated into a page goes
 * through `escapeHtml`; the host name comes from the request, so it is attacker-controlled as far as we know.
 */
import { bodyFor } from "../core/http";

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escapes prose and turns its `backtick` spans into code elements. */
export function renderProse(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

/** An HTML response (no body for HEAD). */
export function htmlResponse(
  request: Request,
  body: string,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "text/html; charset=utf-8");
  return new Response(bodyFor(request.method, body), { status: init.status ?? 200, headers });
}
