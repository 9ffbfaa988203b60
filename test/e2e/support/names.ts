/**
 * Real host names for the Worker, so clients can reach a route by subdomain the way users do (`ghcr.<domain>`):
 * `mirror.test` (the bare domain: Docker Hub, and every registry by path prefix or `?ns=`) and `ghcr.mirror.test`.
 * Both resolve to 127.0.0.1 through /etc/hosts, which every client here reads (glibc, Go, Node). The line is added
 * once, when running as root, and left in place: `.test` is reserved (RFC 2606), so it shadows nothing.
 */
import { readFileSync, appendFileSync } from "node:fs";

/** The Worker's bare domain in the e2e world. */
export const MIRROR_DOMAIN = "mirror.test";
/** The subdomain whose first label names the `ghcr` route. */
export const GHCR_SUBDOMAIN = `ghcr.${MIRROR_DOMAIN}`;
const NAMES = [MIRROR_DOMAIN, GHCR_SUBDOMAIN];
const HOSTS_FILE = "/etc/hosts";
const LINE = `127.0.0.1 ${NAMES.join(" ")} # edgehub e2e (test/e2e/support/names.ts)`;

/** Whether /etc/hosts maps every name to 127.0.0.1 already. */
function mapped(): boolean {
  const lines = readFileSync(HOSTS_FILE, "utf8").split("\n").map((line) => line.replace(/#.*/, "").trim().split(/\s+/));
  return NAMES.every((name) => lines.some(([ip, ...names]) => ip === "127.0.0.1" && names.includes(name)));
}

/** Why the names cannot be made to resolve here, or null (for the prerequisite guard). */
export function namesSkipReason(): string | null {
  if (mapped() || process.getuid?.() === 0) return null;
  return `${NAMES.join(" and ")} do not resolve: add "127.0.0.1 ${NAMES.join(" ")}" to ${HOSTS_FILE} or run as root`;
}

/** Adds the names to /etc/hosts unless they are there (idempotent). */
export function ensureNames(): void {
  if (!mapped()) appendFileSync(HOSTS_FILE, `${readFileSync(HOSTS_FILE, "utf8").endsWith("\n") ? "" : "\n"}${LINE}\n`);
}
