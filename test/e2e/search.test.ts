/**
 * docker search's requests, sent raw through the running Worker (started as `npm start` starts it) to the imitation
 * index: what dockerd relies on (daemons.test.ts runs `docker search` itself), without needing root or a daemon.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { missingCommand } from "./clients/process";
import { getWithCa } from "./support/https";
import { requires } from "./support/prerequisites";
import { ARTIFACTS } from "./support/stack";
import { type Certificate, makeCertificate } from "./support/tls";
import { type RunningWorker, startWorker } from "./support/worker";
import { RequestLog } from "./upstream/log";
import { type SearchIndex, type SearchResult, startSearchIndex } from "./upstream/search-index";

const skip = requires("the search suite", missingCommand(["openssl"]));

describe.skipIf(skip)("docker search's requests through the Worker", () => {
  const log = new RequestLog();
  let index: SearchIndex;
  let worker: RunningWorker;
  let cert: Certificate;
  /** What dockerd sends a standalone v1 registry when logged out: empty username and password. */
  const dockerd = { Authorization: "Basic Og==", "User-Agent": "docker/20.10.24 go/go1.19.8 (e2e)" };

  beforeAll(async () => {
    const workDir = join(ARTIFACTS, "search");
    await mkdir(workDir, { recursive: true });
    cert = makeCertificate(workDir, "worker");
    index = await startSearchIndex({ repositories: ["library/alpine", "library/multi", "bitnami/redis"], log });
    // The registry is never contacted: search goes to the index alone.
    const upstreams = { docker: { registry: "http://127.0.0.1:9", index: index.url } };
    worker = await startWorker({
      vars: { UPSTREAMS: JSON.stringify(upstreams) },
      keyPath: cert.keyPath,
      certPath: cert.certPath,
    });
  });
  beforeEach(() => log.reset());
  afterAll(async () => {
    await worker?.stop();
    await index?.stop();
  });

  const get = (path: string) => getWithCa(`${worker.origin}${path}`, cert.certPem, dockerd);

  it("/v1/_ping says standalone, so dockerd sends its login with the search", async () => {
    const ping = await get("/v1/_ping");
    expect(ping.status).toBe(200);
    expect(JSON.parse(ping.body)).toEqual({ standalone: true });
    expect(log.entries()).toEqual([]);
  });

  it.each([
    ["alpine", "alpine"],
    ["library/alpine", "alpine"],
    // A client that keeps the mirror host in the term.
    ["<mirror>/library/alpine", "alpine"],
  ])(
    "q=%s reaches the index as q=%s, without the client's Authorization, and the results come back unchanged",
    async (q, term) => {
      const response = await get(`/v1/search?q=${encodeURIComponent(q.replace("<mirror>", worker.host))}&n=25`);
      expect(response.status).toBe(200);
      const body = JSON.parse(response.body) as { query: string; results: SearchResult[] };
      expect(body.query).toBe(term);
      expect(body.results).toEqual([
        {
          name: "alpine",
          description: "Official image alpine (e2e fixture)",
          star_count: 1000,
          is_official: true,
          is_automated: false,
        },
      ]);
      expect(log.entries()).toMatchObject([
        { server: "index", path: `/v1/search?q=${term}&n=25`, authorization: false, status: 200 },
      ]);
    },
  );

  it("an index that is down is a 502 OCI error naming its route", async () => {
    await index.stop();
    const response = await get("/v1/search?q=alpine");
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toMatchObject({ errors: [{ code: "UNAVAILABLE", detail: { route: "docker" } }] });
  });
});
