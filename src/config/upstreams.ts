/**
 * UPSTREAMS: route name -> registry, merged over the built-in table. A route pointed elsewhere keeps nothing of the
 * built-in registry it replaces but its name and how its clients name images (`library/`); the registry it points at
 * brings its own quirks (registries.ts), whatever the route is called.
 */
import { configError } from "../core/errors";
import { isRecord, parseHttpUrl, parseJson } from "../core/parse";
import { BUILTIN_UPSTREAMS, registryQuirks, type Upstream } from "./registries";
import { isSet } from "./values";

const ROUTE_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** The built-in table with UPSTREAMS merged over it, by route name. */
export function parseUpstreams(raw: string | undefined): Map<string, Upstream> {
  const upstreams = new Map(BUILTIN_UPSTREAMS.map((u) => [u.name, { ...u, hosts: [...u.hosts] }]));
  for (const [name, override] of Object.entries(parseOverrides(raw))) {
    upstreams.set(name, mergeUpstream(name, override, upstreams.get(name)));
  }
  return upstreams;
}

interface UpstreamOverride {
  registry: string;
  realm?: string;
  index?: string;
  hosts?: string[];
  realmHosts?: string[];
}

function parseOverrides(raw: string | undefined): Record<string, UpstreamOverride> {
  if (!isSet(raw)) return {};
  const value = parseJson(raw);
  if (value === undefined) {
    throw configError("UPSTREAMS", 'is not valid JSON; expected {"name": {"registry": "https://…"}}');
  }
  if (!isRecord(value)) throw configError("UPSTREAMS", "must be a JSON object of route name -> upstream");
  const result: Record<string, UpstreamOverride> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (!ROUTE_NAME.test(name)) throw configError("UPSTREAMS", `route name "${name}" must be a lower-case DNS label`);
    result[name] = parseOverride(name, entry);
  }
  return result;
}

function parseOverride(name: string, entry: unknown): UpstreamOverride {
  if (!isRecord(entry)) throw configError("UPSTREAMS", `"${name}" must be an object with a "registry" URL`);
  const { registry, realm, index, hosts, realmHosts } = entry;
  const override: UpstreamOverride = { registry: parseBaseUrl(name, "registry", registry) };
  if (realm !== undefined) override.realm = parseAbsoluteUrl(name, "realm", realm);
  if (index !== undefined) override.index = parseBaseUrl(name, "index", index);
  if (hosts !== undefined) {
    if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === "string" && h.length > 0 && !h.includes("/"))) {
      throw configError("UPSTREAMS", `"${name}".hosts must be an array of host names`);
    }
    override.hosts = hosts.map((h: string) => h.toLowerCase());
  }
  if (realmHosts !== undefined) override.realmHosts = parseHostNames(name, "realmHosts", realmHosts);
  return override;
}

function mergeUpstream(name: string, override: UpstreamOverride, builtin: Upstream | undefined): Upstream {
  const ownHost = new URL(override.registry).host;
  const hosts = override.hosts ?? builtin?.hosts ?? [ownHost];
  // A registry pointed elsewhere must not keep the built-in realm or realm hosts (they are the old registry's token
  // service, which must never see this one's credentials) nor the built-in search index (it would search a registry
  // the route no longer pulls from).
  const merged: Upstream = { ...builtin, name, registry: override.registry, hosts };
  for (const field of ["realm", "index", "realmHosts"] as const) {
    if (override[field] !== undefined) Object.assign(merged, { [field]: override[field] });
    else delete merged[field];
  }
  // The registry's own quirks, whichever route reaches it: a second route to Docker Hub has `library/` and its index.
  // A built-in route pointed at a stand-in (a local registry for Docker Hub) keeps its namespace: clients name alike.
  const quirks = registryQuirks(merged);
  if (quirks.officialNamespace !== undefined) merged.officialNamespace = quirks.officialNamespace;
  if (quirks.index !== undefined) merged.index ??= quirks.index;
  return merged;
}

/** A list of host names (with a port, if any), lower-cased. */
function parseHostNames(name: string, field: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((h) => typeof h === "string" && /^[a-z0-9.-]+(?::\d+)?$/i.test(h))) {
    throw configError("UPSTREAMS", `"${name}".${field} must be an array of host names such as "auth.example.com"`);
  }
  return value.map((h: string) => h.toLowerCase());
}

function parseBaseUrl(name: string, field: string, value: unknown): string {
  const url = new URL(parseAbsoluteUrl(name, field, value));
  if (url.pathname !== "/" || url.search || url.hash) {
    throw configError(
      "UPSTREAMS",
      `"${name}".${field} must be an origin such as https://registry.example.com (the API lives at /v2/)`,
    );
  }
  return url.origin;
}

function parseAbsoluteUrl(name: string, field: string, value: unknown): string {
  const url = parseHttpUrl(value);
  if (!url || url.username || url.password) {
    throw configError("UPSTREAMS", `"${name}".${field} must be an http(s) URL without credentials`);
  }
  return url.href;
}
