/**
 * A realm's own challenge in its answer to `/token` is pointed back at this Worker the same way a registry's is
 * (respond/headers.ts `pointRealmHere`): on the route the client asked for, `?ns=` kept, so retrying the realm as
 * given goes to the same registry, not to the host's default one.
 */
import { describe, expect, it } from "vitest";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const GHCR_CHALLENGE = 'Bearer realm="https://ghcr.io/token",service="ghcr.io"';

function ghcrRefusing() {
  return fakeUpstreams({
    "ghcr.io": (_request, url) =>
      url.pathname === "/v2/"
        ? new Response(null, { status: 401, headers: { "www-authenticate": GHCR_CHALLENGE } })
        : new Response('{"errors":[]}', {
            status: 401,
            headers: { "www-authenticate": `${GHCR_CHALLENGE},error="invalid_token"` },
          }),
  });
}

describe("the realm in a /token answer's challenge", () => {
  it("GET /token?ns=ghcr.io on the bare host: the realm's challenge points at /token?ns=ghcr.io", async () => {
    const fake = ghcrRefusing();
    const response = await callWorker("https://example.com/token?ns=ghcr.io&scope=repository:owner/img:pull");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      'Bearer realm="https://example.com/token?ns=ghcr.io",service="ghcr.io",error="invalid_token"',
    );
    expect(fake.unexpected).toEqual([]);
  });

  it("GET /token with a ghcr.io/ scope on the bare host: the route chosen by the prefix travels in the realm", async () => {
    ghcrRefusing();
    const response = await callWorker("https://example.com/token?scope=repository:ghcr.io/owner/img:pull");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('realm="https://example.com/token?ns=ghcr.io"');
  });

  it("GET /token on the host's own registry: the realm is plain /token", async () => {
    fakeUpstreams({
      "ghcr.io": () => new Response(null, { status: 401, headers: { "www-authenticate": GHCR_CHALLENGE } }),
    });
    const response = await callWorker("https://ghcr.example.com/token?scope=repository:owner/img:pull");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('realm="https://ghcr.example.com/token"');
  });
});
