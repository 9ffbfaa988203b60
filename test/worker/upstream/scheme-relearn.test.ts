/**
 * A registry's authentication scheme is learned from its `/v2/`, and learned again when the registry later answers
 * 401 (#21): one transient 200 on `/v2/` must not mean "no authentication" for the rest of the isolate's life.
 */
import { expect, it } from "vitest";
import { ACCOUNT, fakeHub, makeImage, uniqueName } from "../support/fake-registry";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const SHARED = {
  DOCKERHUB_USERNAME: ACCOUNT.username,
  DOCKERHUB_TOKEN: ACCOUNT.password,
  SHARE_UPSTREAM_CREDENTIALS: "true",
};

it("the owner's pull works after the registry's /v2/ once answered 200 and its manifests then answer 401", async () => {
  const image = await makeImage(`team/${uniqueName()}`, "1");
  let pings = 0;
  fakeHub({
    images: [image],
    registry: (_request, url) => (url.pathname === "/v2/" && ++pings === 1 ? new Response("{}") : undefined),
  });
  for (let i = 0; i < 2; i++) {
    const response = await callWorker(
      `https://example.com/v2/${image.repository}/manifests/1`,
      {},
      { ...SHARED, CACHE: "off" },
    );
    expect([i, response.status]).toEqual([i, 200]);
    expect(await response.text()).toBe(image.manifest);
  }
});

it("a client's /token finds the realm once the registry that answered /v2/ with 200 challenges a request", async () => {
  let pings = 0;
  const challenge = { "www-authenticate": 'Bearer realm="https://ghcr.io/token",service="ghcr.io"' };
  const fake = fakeUpstreams({
    "ghcr.io": (_request, url) => {
      if (url.pathname === "/token") return Response.json({ token: "t" });
      if (url.pathname === "/v2/" && ++pings === 1) return new Response("{}");
      return new Response("{}", { status: 401, headers: challenge });
    },
  });
  const login = "https://ghcr.example.com/token?service=ghcr.io&scope=repository:o/i:pull";
  // The registry's /v2/ answers 200 once: no realm to relay to, yet.
  expect((await callWorker(login)).status).toBe(404);
  // Then it challenges a request: the client is sent to /token, which must now find the realm.
  const list = await callWorker("https://ghcr.example.com/v2/o/i/tags/list");
  expect(list.status).toBe(401);
  await list.body?.cancel();
  const token = await callWorker(login);
  expect(token.status).toBe(200);
  expect(await token.json()).toMatchObject({ token: "t" });
  expect(fake.unexpected).toEqual([]);
});
