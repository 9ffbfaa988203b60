/**
 * A realm host that merely ends like the registry's (`evilghcr.io` for ghcr.io) gets no owner credentials (#21, 6a).
 */
import { expect, it, vi } from "vitest";
import { ACCOUNT } from "../support/fake-registry";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const OWNER_BASIC = `Basic ${btoa(`${ACCOUNT.username}:${ACCOUNT.password}`)}`;

it("a challenge naming evilghcr.io as ghcr.io's realm gets an anonymous token request, never the owner's credentials", async () => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  const fake = fakeUpstreams({
    "ghcr.io": (request, url) =>
      url.pathname === "/v2/" || !request.headers.get("authorization")?.startsWith("Bearer ")
        ? new Response(null, {
            status: 401,
            headers: { "www-authenticate": 'Bearer realm="https://evilghcr.io/token",service="ghcr.io"' },
          })
        : new Response("{}"),
    "evilghcr.io": () => Response.json({ token: "t" }),
  });
  const vars = {
    UPSTREAM_CREDENTIALS: JSON.stringify({ ghcr: ACCOUNT }),
    SHARE_UPSTREAM_CREDENTIALS: "true",
  };
  const response = await callWorker("https://ghcr.example.com/v2/o/i/tags/list", {}, vars);
  await response.body?.cancel();
  expect(fake.to("evilghcr.io")).toHaveLength(1);
  expect(fake.sent.filter((r) => r.headers.get("authorization") === OWNER_BASIC)).toEqual([]);
});
