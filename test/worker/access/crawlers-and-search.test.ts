/**
 * Where access control meets the browser paths and docker search: crawlers get the decoy, and search obeys the
 * same mirror users and User-Agent rules as pulls.
 */
import { describe, expect, it } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const USERS = { MIRROR_USERS: "alice:alice-password", MIRROR_TOKEN_SECRET: "t".repeat(32) };
const RESULTS = {
  num_results: 1,
  query: "alpine",
  results: [{ name: "alpine", description: "", star_count: 1, is_official: true }],
};

describe("blocked crawlers", () => {
  it("get the nginx decoy at / instead of the guide (HOME_PAGE=guide)", async () => {
    const response = await callWorker(
      "https://mirror.example.com/",
      { headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1)", accept: "text/html" } },
      { BLOCKED_USER_AGENTS: "googlebot" },
    );
    const html = await response.text();
    expect(html).toContain("Welcome to nginx!");
    expect(html).not.toContain("registry-mirrors");
  });

  it("get the owner's decoy when HOME_PAGE names one", async () => {
    const vars = { BLOCKED_USER_AGENTS: "bot", HOME_PAGE: "redirect:https://example.org/" };
    const response = await callWorker("https://mirror.example.com/", { headers: { "user-agent": "somebot" } }, vars);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://example.org/");
  });

  it("are refused on registry paths with 403 DENIED, before any upstream request", async () => {
    const fake = fakeUpstreams({});
    const response = await callWorker(
      "https://mirror.example.com/v2/alpine/manifests/latest",
      { headers: { "user-agent": "SomeBot" } },
      { BLOCKED_USER_AGENTS: "bot" },
    );
    expect(response.status).toBe(403);
    expect(fake.sent).toEqual([]);
  });

  it("and everyone else still sees the guide", async () => {
    const response = await callWorker(
      "https://mirror.example.com/",
      { headers: { "user-agent": "Mozilla/5.0 Firefox/140", accept: "text/html" } },
      { BLOCKED_USER_AGENTS: "bot" },
    );
    expect(await response.text()).toContain("registry-mirrors");
  });
});

describe("docker search under access rules", () => {
  it("with mirror users, an anonymous search is 401 and never reaches the index", async () => {
    const fake = fakeUpstreams({ "index.docker.io": () => Response.json(RESULTS) });
    const response = await callWorker(
      "https://mirror.example.com/v1/search?q=alpine&n=25",
      { headers: { authorization: "Basic Og==" } },
      USERS,
    );
    expect(response.status).toBe(401);
    expect(fake.sent).toEqual([]);
  });

  it("with mirror users, the credentials of docker login let the search through, and are not forwarded", async () => {
    const fake = fakeUpstreams({ "index.docker.io": () => Response.json(RESULTS) });
    const response = await callWorker(
      "https://mirror.example.com/v1/search?q=alpine&n=25",
      { headers: { authorization: `Basic ${btoa("alice:alice-password")}` } },
      USERS,
    );
    expect(response.status).toBe(200);
    expect(fake.sent[0]!.headers.has("authorization")).toBe(false);
  });

  it("a wrong password is refused", async () => {
    const fake = fakeUpstreams({ "index.docker.io": () => Response.json(RESULTS) });
    const response = await callWorker(
      "https://mirror.example.com/v1/search?q=alpine",
      { headers: { authorization: `Basic ${btoa("alice:nope-nope-nope")}` } },
      USERS,
    );
    expect(response.status).toBe(401);
    expect((await response.json<{ errors: { code: string }[] }>()).errors[0]!.code).toBe("UNAUTHORIZED");
    expect(fake.sent).toEqual([]);
  });

  it("a blocked User-Agent cannot search", async () => {
    const fake = fakeUpstreams({ "index.docker.io": () => Response.json(RESULTS) });
    const response = await callWorker(
      "https://mirror.example.com/v1/search?q=alpine",
      { headers: { "user-agent": "crawler/1" } },
      { BLOCKED_USER_AGENTS: "crawler" },
    );
    expect(response.status).toBe(403);
    expect(fake.sent).toEqual([]);
  });
});
