/**
 * An UPSTREAMS entry without `hosts` at an internal address (#21): the page and its JSON never show that address.
 * Such an entry is reached by its route name, as a subdomain or as a path prefix (`mirror/corp/team/app`), and that
 * is what the page offers; a challenge for a path-prefixed request names the route, not the address.
 */
import { expect, it } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const REGISTRY = "10.1.2.3:5000";
const VARS = {
  UPSTREAMS: JSON.stringify({
    corp: { registry: `http://${REGISTRY}` },
    lab: { registry: "http://10.1.2.4", hosts: [] },
  }),
};
const BROWSER = { accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" };

it("the page and its JSON name the route, never the internal address", async () => {
  for (const headers of [{}, BROWSER]) {
    for (const url of ["https://mirror.example.org/", "https://corp.mirror.example.org/"]) {
      const response = await callWorker(url, { headers }, VARS);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toContain("10.1.2.3");
      expect(text).not.toContain("10.1.2.4");
      if (headers === BROWSER) expect(text).toContain("/corp/owner/image");
    }
  }
  const json = (await (await callWorker("https://mirror.example.org/", {}, VARS)).json()) as {
    routes: { route: string; prefix: string }[];
  };
  expect(json.routes.find((r) => r.route === "corp")?.prefix).toBe("mirror.example.org/corp/");
  expect(json.routes.find((r) => r.route === "lab")?.prefix).toBe("mirror.example.org/lab/");
});

it("the route name reaches the entry as a path prefix, and its challenge names the route, not the address", async () => {
  const fake = fakeUpstreams({
    [REGISTRY]: (_request, url) =>
      url.pathname === "/v2/team/app/tags/list"
        ? Response.json({ name: "team/app", tags: [] })
        : new Response("{}", {
            status: 401,
            headers: { "www-authenticate": `Bearer realm="http://${REGISTRY}/token",service="corp"` },
          }),
  });
  const listed = await callWorker("https://mirror.example.org/v2/corp/team/app/tags/list", {}, VARS);
  expect(listed.status).toBe(200);
  await listed.body?.cancel();
  const challenged = await callWorker("https://mirror.example.org/v2/corp/team/app/manifests/latest", {}, VARS);
  expect(challenged.status).toBe(401);
  await challenged.body?.cancel();
  const challenge = challenged.headers.get("www-authenticate") ?? "";
  expect(challenge).not.toContain("10.1.2.3");
  expect(challenge).toContain('realm="https://mirror.example.org/token?ns=corp"');
  expect(fake.sent.map((r) => r.url.pathname)).toContain("/v2/team/app/tags/list");
});
