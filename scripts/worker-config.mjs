// The Worker's own configuration code, bundled from src/ for Node, so the scripts judge a value exactly as a request
// would: parseConfig for `npm run check`, parseUpstreams for the route names `npm run setup` accepts. The one place
// the scripts name files under src/.
import { build } from "esbuild";
import { root } from "./wrangler-config.mjs";

let loaded;

/** `{ parseConfig, parseUpstreams }` from src/config/, bundled once per process. */
export function loadWorkerConfig() {
  loaded ??= (async () => {
    const bundle = await build({
      stdin: {
        contents: [
          'export { parseConfig } from "./src/config/config.ts";',
          'export { parseUpstreams } from "./src/config/upstreams.ts";',
        ].join("\n"),
        resolveDir: root,
        loader: "ts",
      },
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      logLevel: "silent",
    });
    const source = Buffer.from(bundle.outputFiles[0].text).toString("base64");
    return import(`data:text/javascript;base64,${source}`);
  })();
  return loaded;
}

/** The route names of the Worker's upstream table, with the UPSTREAMS variable merged over the built-in ones. */
export async function routeNames(upstreamsVariable) {
  const { parseUpstreams } = await loadWorkerConfig();
  return [...parseUpstreams(upstreamsVariable).keys()];
}
