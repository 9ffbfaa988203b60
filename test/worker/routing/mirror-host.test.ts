/**
 * MIRROR_HOST itself is the default route whatever its first label (#21): a mirror at `ghcr.corp.example` mirrors
 * Docker Hub, and a `docker login` there sends Docker Hub credentials to Docker Hub's token service only.
 */
import { expect, it } from "vitest";
import { ACCOUNT_BASIC, AUTH, fakeHub, HUB } from "../support/fake-registry";
import { callWorker } from "../support/fake-upstream";

const VARS = { MIRROR_HOST: "ghcr.corp.example" };

it("requests to MIRROR_HOST go to Docker Hub even when its first label names another route", async () => {
  const hub = fakeHub();
  const response = await callWorker("https://ghcr.corp.example/v2/alpine/tags/list", {}, VARS);
  await response.body?.cancel();
  expect(hub.unexpected).toEqual([]);
  expect(hub.to(HUB).map((r) => r.url.pathname)).toContain("/v2/library/alpine/tags/list");
});

it("a docker login at MIRROR_HOST sends Docker Hub credentials to Docker Hub's token service, and nowhere else", async () => {
  const hub = fakeHub();
  const login = await callWorker(
    "https://ghcr.corp.example/token?service=registry.docker.io&scope=repository:library/alpine:pull",
    { headers: { authorization: ACCOUNT_BASIC } },
    VARS,
  );
  expect(login.status).toBe(200);
  await login.body?.cancel();
  expect(hub.unexpected).toEqual([]);
  expect(hub.sent.filter((r) => r.headers.get("authorization") === ACCOUNT_BASIC).map((r) => r.url.host)).toEqual([
    AUTH,
  ]);
});

it("a route's own subdomain under MIRROR_HOST still selects that route", async () => {
  const hub = fakeHub({ extra: { "ghcr.io": () => Response.json({ name: "o/i", tags: [] }) } });
  const response = await callWorker("https://ghcr.ghcr.corp.example/v2/o/i/tags/list", {}, VARS);
  await response.body?.cancel();
  expect(hub.to("ghcr.io").map((r) => r.url.pathname)).toEqual(["/v2/o/i/tags/list"]);
});
