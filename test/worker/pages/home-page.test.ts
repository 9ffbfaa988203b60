import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { RegistryError } from "../../../src/core/errors";
import { answerBlockedCrawler } from "../../../src/pages/home";
import { callWorker, fakeUpstreams, json } from "../support/fake-upstream";

const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
const MODES = ["guide", "nginx", "redirect:https://www.example.net/", "none"];

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { errors: { code: string }[] }).errors[0]!.code;
}

describe("HOME_PAGE=nginx", () => {
  const vars = { HOME_PAGE: "nginx" };

  it("shows nginx's welcome page to browsers and API clients alike, with nothing about the mirror", async () => {
    for (const headers of [BROWSER, { accept: "application/json" }, {}]) {
      const response = await callWorker("https://mirror.example.org/", { headers }, vars);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html");
      const html = await response.text();
      expect(html).toContain("<title>Welcome to nginx!</title>");
      expect(html).not.toMatch(/edgehub|registry|mirror|docker/i);
    }
  });

  it("answers other browser paths the way nginx does", async () => {
    const missing = await callWorker("https://mirror.example.org/favicon.ico", {}, vars);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>");
    const posted = await callWorker("https://mirror.example.org/", { method: "POST" }, vars);
    expect(posted.status).toBe(405);
    expect(await posted.text()).toContain("405 Not Allowed");
    expect((await callWorker("https://mirror.example.org/robots.txt", {}, vars)).status).toBe(404);
  });
});

describe("HOME_PAGE=redirect:URL", () => {
  it("sends every browser path to the URL with a 302", async () => {
    const vars = { HOME_PAGE: "redirect:https://www.example.net/welcome" };
    for (const path of ["/", "/favicon.ico", "/anything/at/all"]) {
      const response = await callWorker(`https://mirror.example.org${path}`, { headers: BROWSER }, vars);
      expect(response.status).toBe(302);
      expect(response.headers.get("location")).toBe("https://www.example.net/welcome");
    }
  });
});

describe("HOME_PAGE=none", () => {
  it("answers / with a plain OCI 404", async () => {
    const response = await callWorker("https://mirror.example.org/", { headers: BROWSER }, { HOME_PAGE: "none" });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await codeOf(response)).toBe("NAME_UNKNOWN");
  });
});

describe.each(MODES)("HOME_PAGE=%s leaves the registry APIs alone", (mode) => {
  const vars = { HOME_PAGE: mode };

  it("/v2/ manifests, /token, /v1/_ping and /v1/search still work", async () => {
    const fake = fakeUpstreams({
      "registry-1.docker.io": () => json({ name: "library/alpine", tags: ["3.20"] }),
      "auth.docker.io": () => json({ token: "t" }),
      "index.docker.io": () => json({ results: [] }),
    });
    const headers = { ...BROWSER, "user-agent": "Mozilla/5.0" };
    expect((await callWorker("https://mirror.example.org/v2/alpine/tags/list", { headers }, vars)).status).toBe(200);
    expect(
      await (
        await callWorker("https://mirror.example.org/token?scope=repository:alpine:pull", { headers }, vars)
      ).json(),
    ).toEqual({ token: "t" });
    expect((await callWorker("https://mirror.example.org/v1/_ping", { headers }, vars)).status).toBe(200);
    expect(await (await callWorker("https://mirror.example.org/v1/search?q=alpine", { headers }, vars)).json()).toEqual(
      { results: [] },
    );
    expect(fake.sent.map((r) => r.url.host)).toEqual(["registry-1.docker.io", "auth.docker.io", "index.docker.io"]);
  });

  it("registry errors stay OCI JSON", async () => {
    const response = await callWorker(
      "https://mirror.example.org/v2/UPPER/manifests/latest",
      { headers: BROWSER },
      vars,
    );
    expect(response.status).toBe(400);
    expect(await codeOf(response)).toBe("NAME_INVALID");
  });
});

describe("a malformed HOME_PAGE", () => {
  it.each(["decoy", "redirect:http://www.example.net/", "redirect:/relative", "nginx please"])(
    "HOME_PAGE=%s fails every request loudly",
    async (raw) => {
      const fake = fakeUpstreams({});
      for (const path of ["/", "/v2/alpine/manifests/latest"]) {
        const response = await callWorker(
          `https://mirror.example.org${path}`,
          { headers: BROWSER },
          { HOME_PAGE: raw },
        );
        expect(response.status).toBe(500);
        const body = JSON.stringify(await response.json());
        expect(body).toContain("mirror misconfigured: HOME_PAGE");
      }
      expect(fake.sent).toEqual([]);
    },
  );
});

describe("answerBlockedCrawler (the access policy's hook for blocked User-Agents)", () => {
  const crawl = (homePage: string, path = "/") =>
    answerBlockedCrawler(
      new Request(`https://mirror.example.org${path}`, { headers: BROWSER }),
      parseConfig({ HOME_PAGE: homePage }),
    );

  it("gives a crawler the nginx decoy instead of the guide", async () => {
    const response = await crawl("guide");
    expect(await response.text()).toContain("Welcome to nginx!");
    expect((await crawl("guide", "/secret-path")).status).toBe(404);
  });

  it("gives it the owner's choice when HOME_PAGE already hides the mirror", async () => {
    expect((await crawl("redirect:https://www.example.net/")).headers.get("location")).toBe("https://www.example.net/");
    expect(await (await crawl("nginx")).text()).toContain("Welcome to nginx!");
    expect(() => crawl("none")).toThrow(RegistryError);
  });
});
