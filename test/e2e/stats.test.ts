/**
 * The owner's /stats after real pulls: skopeo copies one image twice through the running Worker (started as
 * `npm start` starts it, with STATS_TOKEN set and the STATS Durable Object from wrangler.toml), then /stats counts
 * both pulls, the second one's cache hits, and the repository among the most pulled.
 */
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as skopeo from "./clients/skopeo";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack } from "./support/stack";

const skip = requires("the stats suite", skopeo.skipReason(), stackSkipReason());
const TOKEN = "e2e-owner-token-0123456789abcdef";

/** GETs a path of the Worker over HTTPS (trusting its certificate): status, one header and the body. */
async function get(stack: Stack, path: string, headers: Record<string, string>) {
  const ca = await readFile(stack.caCertPath);
  return new Promise<{ status: number; challenge: string | undefined; body: string }>((resolve, reject) => {
    const req = request(`${stack.worker.origin}${path}`, { headers, ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, challenge: res.headers["www-authenticate"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe.skipIf(skip)("/stats after real pulls", () => {
  let stack: Stack;
  const client = () => ({ mirror: stack.worker.host, caCertPath: stack.caCertPath, workDir: stack.workDir });

  beforeAll(async () => {
    stack = await startStack("stats", { vars: { STATS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("counts two pulls of one image, the second from cache, and names the repository", async () => {
    const pushed = stack.upstream.images.alpine;
    for (let i = 0; i < 2; i++) {
      const result = await skopeo.copy({ ...client(), reference: "library/alpine:latest" });
      expect(result.digest).toBe(pushed.digest);
    }
    const stranger = await get(stack, "/stats", { accept: "application/json" });
    expect(stranger.status).toBe(401);
    expect(stranger.challenge).toBe('Basic realm="edgehub stats"');
    const owner = await get(stack, "/stats", { accept: "application/json", authorization: `Bearer ${TOKEN}` });
    expect(owner.status).toBe(200);
    const stats = JSON.parse(owner.body) as {
      requests: number;
      pulls: number;
      cache: { hits: number };
      upstreamRequestsAvoided: number;
      top: { route: string; repository: string; pulls: number }[];
    };
    console.log(`/stats after two skopeo copies: ${owner.body.slice(0, 400)}`);
    expect(stats.pulls).toBeGreaterThanOrEqual(2);
    expect(stats.cache.hits).toBeGreaterThanOrEqual(1);
    expect(stats.upstreamRequestsAvoided).toBeGreaterThanOrEqual(1);
    expect(stats.top).toContainEqual({ route: "docker", repository: "library/alpine", pulls: stats.pulls });
    const page = await get(stack, "/stats", { accept: "text/html", authorization: `Basic ${btoa(`me:${TOKEN}`)}` });
    expect(page.status).toBe(200);
    expect(page.body).toContain("library/alpine");
  });
});
