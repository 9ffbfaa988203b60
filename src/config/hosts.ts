/**
 * The mirror's own host names, as `npm run setup` writes them: MIRROR_HOST (its domain; empty on workers.dev) and
 * MIRROR_SUBDOMAINS (host names that each route to the registry their first label names). The page offers exactly
 * these forms, so it never shows a host that has no DNS record or certificate.
 */
import { configError } from "../core/errors";
import { before } from "../core/parse";
import type { Upstream } from "./registries";
import { isSet } from "./values";

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A DNS name of two labels or more, lower case, or undefined when it is not one. */
function parseHostName(value: string): string | undefined {
  const host = value.trim().toLowerCase().replace(/\.$/, "");
  const labels = host.split(".");
  return labels.length > 1 && labels.every((label) => LABEL.test(label)) ? host : undefined;
}

/** MIRROR_HOST: the mirror's domain, or undefined when unset (workers.dev, local runs). */
export function parseMirrorHost(raw: string | undefined): string | undefined {
  if (!isSet(raw)) return undefined;
  const host = parseHostName(raw);
  if (!host)
    throw configError(
      "MIRROR_HOST",
      "must be a host name such as mirror.example.com (no scheme, port or path); `npm run setup` writes it",
    );
  return host;
}

/** MIRROR_SUBDOMAINS: route name -> the host name that serves it (`ghcr` -> `ghcr.example.com`). */
export function parseMirrorSubdomains(
  raw: string | undefined,
  upstreams: ReadonlyMap<string, Upstream>,
): Map<string, string> {
  const subdomains = new Map<string, string>();
  for (const entry of (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const host = parseHostName(entry);
    if (!host)
      throw configError(
        "MIRROR_SUBDOMAINS",
        `"${entry}" is not a host name such as ghcr.example.com; \`npm run setup\` writes it`,
      );
    const route = before(host, ".");
    if (!upstreams.has(route))
      throw configError(
        "MIRROR_SUBDOMAINS",
        `"${host}" starts with no route name (routes: ${[...upstreams.keys()].join(", ")})`,
      );
    if (subdomains.has(route)) throw configError("MIRROR_SUBDOMAINS", `names two hosts for the route "${route}"`);
    subdomains.set(route, host);
  }
  return subdomains;
}
