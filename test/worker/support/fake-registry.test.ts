/**
 * The Hub fake is only worth its strictness: these ask it directly (through the fetch the Worker would use) for what
 * a real registry refuses, so a fake that grew lax would fail here before it let a Worker test pass on a wrong token.
 */
import { describe, expect, it } from "vitest";
import { ACCOUNT_BASIC, ANONYMOUS, AUTH, fakeHub, HUB, makeImage, SERVICE, TESTER, uniqueName } from "./fake-registry";

/** Asks the fake's token service for `scope`, as a client would (with `basic` credentials, or anonymously). */
async function tokenFor(scope: string, basic?: string, service = SERVICE): Promise<string> {
  const url = `https://${AUTH}/token?service=${encodeURIComponent(service)}&scope=${encodeURIComponent(scope)}`;
  const response = await fetch(url, { headers: basic ? { authorization: basic } : {} });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

const manifest = (repository: string, token: string) =>
  fetch(`https://${HUB}/v2/${repository}/manifests/v1`, { headers: { authorization: `Bearer ${token}` } });

describe("the fake Hub refuses what Docker Hub refuses", () => {
  it("a token for one repository does not open another, and the 401 names the scope needed", async () => {
    const [mine, other] = [
      await makeImage(`team/${uniqueName()}`, "v1"),
      await makeImage(`team/${uniqueName()}`, "v1"),
    ];
    fakeHub({ images: [mine, other] });
    const token = await tokenFor(`repository:${mine.repository}:pull`);
    expect((await manifest(mine.repository, token)).status).toBe(200);
    const refused = await manifest(other.repository, token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe(
      `Bearer realm="https://${AUTH}/token",service="${SERVICE}",scope="repository:${other.repository}:pull"`,
    );
  });

  it("a token for another service is refused, and the token service issues none for it", async () => {
    const image = await makeImage(`team/${uniqueName()}`, "v1");
    const hub = fakeHub({ images: [image] });
    expect((await manifest(image.repository, hub.issue(ANONYMOUS, image.repository, "ghcr.io"))).status).toBe(401);
    expect(
      (await fetch(`https://${AUTH}/token?service=ghcr.io&scope=repository:${image.repository}:pull`)).status,
    ).toBe(400);
  });

  it("a token it never issued, a push-only scope, or wrong credentials open nothing", async () => {
    const image = await makeImage(`team/${uniqueName()}`, "v1");
    fakeHub({ images: [image] });
    expect((await manifest(image.repository, "anonymous")).status).toBe(401);
    expect((await manifest(image.repository, await tokenFor(`repository:${image.repository}:push`))).status).toBe(401);
    expect(
      (
        await fetch(`https://${AUTH}/token?service=${SERVICE}`, {
          headers: { authorization: `Basic ${btoa("hubuser:guess")}` },
        })
      ).status,
    ).toBe(401);
  });

  it("a private repository is refused to an anonymous token, and served to the account's", async () => {
    const image = await makeImage(`team/${uniqueName()}`, "v1");
    const hub = fakeHub({ images: [image], privateRepositories: [image.repository] });
    const scope = `repository:${image.repository}:pull`;
    expect((await manifest(image.repository, await tokenFor(scope))).status).toBe(401);
    expect((await manifest(image.repository, hub.issue(ANONYMOUS, image.repository))).status).toBe(401);
    const owner = await tokenFor(scope, ACCOUNT_BASIC);
    expect(hub.issued.get(owner)?.identity).toBe(TESTER);
    expect((await manifest(image.repository, owner)).status).toBe(200);
  });

  it("an unexpected host, or a registry path it does not serve, is a failed fetch, recorded", async () => {
    const hub = fakeHub();
    await expect(fetch("https://index.docker.io/v2/")).rejects.toThrow(/unexpected fetch/);
    await expect(fetch(`https://${HUB}/v2/_catalog`)).rejects.toThrow(/unexpected request/);
    await expect(fetch(`https://${AUTH}/v2/token`)).rejects.toThrow(/unexpected token request/);
    expect(hub.unexpected).toEqual([
      "https://index.docker.io/v2/",
      `https://${HUB}/v2/_catalog`,
      `https://${AUTH}/v2/token`,
    ]);
  });
});
