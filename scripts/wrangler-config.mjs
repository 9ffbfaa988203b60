// What the scripts know about wrangler.toml: where it is, its environments, and which one `npm run deploy` ships.
import { fileURLToPath } from "node:url";

// Nothing local should reach the network: no metrics, no banner check, no download of the Request.cf template.
for (const [name, value] of Object.entries({
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
})) {
  process.env[name] ??= value;
}

export const root = fileURLToPath(new URL("..", import.meta.url));
export const defaultConfigPath = `${root}wrangler.toml`;

/** wrangler.toml as wrangler itself reads it (no environment applied): `{ vars, env: { production: … }, … }`. */
export async function readRawConfig(configPath = defaultConfigPath) {
  const { experimental_readRawConfig } = await import("wrangler");
  return experimental_readRawConfig({ config: configPath }).rawConfig;
}

/** The environment `npm run deploy` ships: "production" once `npm run setup` chose a domain, else the default (""). */
export function deployEnvironment(rawConfig) {
  return rawConfig.env?.production ? "production" : "";
}

/** Every environment in the file, the default ("") first, each with the variables it deploys with. */
export function environments(rawConfig) {
  return [
    { name: "", vars: rawConfig.vars ?? {} },
    ...Object.entries(rawConfig.env ?? {}).map(([name, env]) => ({ name, vars: env.vars ?? {} })),
  ];
}
