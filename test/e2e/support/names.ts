/**
 * Real host names for the Worker, so clients reach it the way users do: `mirror.test` (the bare domain),
 * `docker.mirror.test` (a route's subdomain), `ghcr.mirror.test`, and `anything.mirror.test` (a label that names no
 * route). All resolve to 127.0.0.1 through /etc/hosts, which every client here reads (glibc, Go, Node). Missing
 * names are added once, when running as root, and left in place: `.test` is reserved (RFC 2606), so it shadows nothing.
 */
import { appendFileSync, readFileSync } from "node:fs";

/** The Worker's bare domain in the e2e world. */
export const MIRROR_DOMAIN = "mirror.test";
/** The subdomain whose first label names the `docker` route. */
export const DOCKER_SUBDOMAIN = `docker.${MIRROR_DOMAIN}`;
/** The subdomain whose first label names the `ghcr` route. */
export const GHCR_SUBDOMAIN = `ghcr.${MIRROR_DOMAIN}`;
/** A subdomain whose first label names no route: served like the bare domain. */
export const UNKNOWN_SUBDOMAIN = `anything.${MIRROR_DOMAIN}`;
/** Every name, for /etc/hosts and the Worker certificate's SANs. */
export const NAMES = [MIRROR_DOMAIN, DOCKER_SUBDOMAIN, GHCR_SUBDOMAIN, UNKNOWN_SUBDOMAIN];
const HOSTS_FILE = "/etc/hosts";

/** The names /etc/hosts does not map to 127.0.0.1 yet. */
function unmapped(): string[] {
  const lines = readFileSync(HOSTS_FILE, "utf8")
    .split("\n")
    .map((line) => line.replace(/#.*/, "").trim().split(/\s+/));
  return NAMES.filter((name) => !lines.some(([ip, ...names]) => ip === "127.0.0.1" && names.includes(name)));
}

/** Why the names cannot be made to resolve here, or null (for the prerequisite guard). */
export function namesSkipReason(): string | null {
  const missing = unmapped();
  if (missing.length === 0 || process.getuid?.() === 0) return null;
  return `${missing.join(", ")} do not resolve: add "127.0.0.1 ${missing.join(" ")}" to ${HOSTS_FILE} or run as root`;
}

/** Adds the missing names to /etc/hosts (idempotent). */
export function ensureNames(): void {
  const missing = unmapped();
  if (missing.length === 0) return;
  const text = readFileSync(HOSTS_FILE, "utf8");
  appendFileSync(
    HOSTS_FILE,
    `${text.endsWith("\n") ? "" : "\n"}127.0.0.1 ${missing.join(" ")} # edgehub e2e (test/e2e/support/names.ts)\n`,
  );
}
