// Prints the size of the bundle `npm run build` wrote to dist/, raw and gzipped (what the limit counts).
import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

for (const file of readdirSync("dist").filter((f) => f.endsWith(".js"))) {
  const bytes = readFileSync(`dist/${file}`);
  console.log(
    `bundle dist/${file}: ${(bytes.length / 1024).toFixed(1)} KiB, ${(gzipSync(bytes).length / 1024).toFixed(1)} KiB gzipped`,
  );
}
