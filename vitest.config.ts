import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { PrerequisiteReporter } from "./test/e2e/support/prerequisite-reporter.ts";

// Projects: "worker" runs unit and integration tests inside workerd with every upstream faked; "scripts" runs the
// scripts and wrangler's config reader in Node; "e2e" drives real clients against a real registry through the Worker.
export default defineConfig({
  test: {
    // The default report, plus how many e2e tests skipped locally for a missing client (in CI they fail instead).
    reporters: ["default", new PrerequisiteReporter()],
    // The Worker logs a JSON line per request: too many to read in a test run, so they are dropped here. Other
    // output (the e2e suite's request counts) still shows.
    onConsoleLog: (log) => !log.startsWith('{"method":'),
    projects: [
      {
        // BLOBS is optional in production (see wrangler.toml); tests bind a local R2 bucket and unbind it per call to
        // cover both the Cache-API-only and the R2-backed cache.
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { r2Buckets: ["BLOBS"] } })],
        test: {
          name: "worker",
          include: ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"],
          setupFiles: ["test/worker/support/setup.ts"],
        },
      },
      // Node-side checks of the scripts and the config as users run them (wrangler's dry run, setup, start).
      { test: { name: "scripts", include: ["test/scripts/**/*.test.ts"], environment: "node", testTimeout: 120_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      // Benchmarks are long and load the machine: only `npm run bench` (EDGEHUB_BENCH=1) runs them.
      ...(process.env.EDGEHUB_BENCH
        ? [
            {
              test: {
                name: "bench",
                include: ["bench/**/*.bench.ts"],
                environment: "node" as const,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
