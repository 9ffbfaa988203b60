import { describe, expect, it } from "vitest";
import { version } from "../../../package.json";
import { GUIDE_SCRIPT } from "../../../src/pages/assets";
import { callWorker, fakeUpstreams } from "../support/fake-upstream";

const BROWSER = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
const HARBOR = {
  UPSTREAMS:
    '{"harbor": {"registry": "https://harbor.example.net", "hosts": ["harbor.example.net", "cr.example.net"]}}',
};
/** What `npm run setup -- mirror.example.org --subdomains harbor` writes (with HARBOR's route). */
const HARBOR_SUBDOMAIN = { ...HARBOR, MIRROR_HOST: "mirror.example.org", MIRROR_SUBDOMAINS: "harbor.example.org" };

/** The page's snippets, id -> text as a browser shows it (the page escapes everything with numeric references). */
function snippetsOf(html: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of html.matchAll(/<code id="(snippet-[^"]+)">([\s\S]*?)<\/code>/g)) {
    found.set(
      match[1]!,
      match[2]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))),
    );
  }
  return found;
}

async function guide(
  url: string,
  vars: Record<string, string> = {},
): Promise<{ response: Response; html: string; snippets: Map<string, string> }> {
  const response = await callWorker(url, { headers: BROWSER }, vars);
  const html = await response.text();
  return { response, html, snippets: snippetsOf(html) };
}

describe("the guide", () => {
  it("fills this host into every snippet, for every client the issue names", async () => {
    const { response, html, snippets } = await guide("https://mirror.example.org/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect([...snippets.keys()]).toEqual([
      "snippet-docker-daemon",
      "snippet-docker-restart",
      "snippet-docker-pull",
      "snippet-containerd-docker",
      "snippet-containerd-default",
      "snippet-k3s",
      "snippet-kind",
      "snippet-kubernetes-image",
      "snippet-podman",
      "snippet-search",
      "snippet-verify",
    ]);
    for (const [id, text] of snippets) {
      expect(text, id).toContain("mirror.example.org");
      expect(html, id).toContain(`data-copy="${id}"`);
    }
    expect(snippets.get("snippet-docker-daemon")).toBe('{\n  "registry-mirrors": ["https://mirror.example.org"]\n}');
    expect(snippets.get("snippet-docker-restart")).toContain("sudo systemctl restart docker");
    expect(snippets.get("snippet-docker-pull")).toContain("docker pull mirror.example.org/library/nginx");
    expect(snippets.get("snippet-containerd-docker")).toContain('[host."https://mirror.example.org"]');
    expect(html).toContain("/etc/containerd/certs.d/_default/hosts.toml");
    expect(snippets.get("snippet-k3s")).toContain('"*":');
    expect(snippets.get("snippet-kind")).toContain("containerdConfigPatches:");
    expect(snippets.get("snippet-podman")).toContain('location = "mirror.example.org"');
    expect(snippets.get("snippet-search")).toBe("docker search mirror.example.org/nginx");
    // #24: the page covers the clients README covers, the same way.
    expect(snippets.get("snippet-kubernetes-image")).toContain("image: mirror.example.org/library/nginx:latest");
    expect(snippets.get("snippet-verify")).toContain("https://mirror.example.org/v2/library/alpine/manifests/latest");
    for (const client of ["Docker Desktop", "Synology", "Troubleshoot"]) expect(html).toContain(client);
  });

  it("is self-contained: no external script, style, font or image, and a CSP that allows only its own inline code", async () => {
    const { response, html } = await guide("https://mirror.example.org/");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|@import|url\(|<img|<iframe/i);
    const policy = response.headers.get("content-security-policy")!;
    expect(policy).toContain("default-src 'none'");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(GUIDE_SCRIPT)));
    expect(policy).toContain(`'sha256-${btoa(String.fromCharCode(...digest))}'`);
    expect(html).toContain(`<script>${GUIDE_SCRIPT}</script>`);
    expect(new TextEncoder().encode(html).byteLength).toBeLessThan(20_000);
  });

  it("lists the routes of the live configuration, UPSTREAMS additions included, by path prefix only", async () => {
    const { html } = await guide("https://mirror.example.org/", HARBOR);
    for (const registry of [
      "docker.io",
      "ghcr.io",
      "quay.io",
      "registry.k8s.io",
      "public.ecr.aws",
      "harbor.example.net",
    ]) {
      expect(html).toContain(`<code>mirror.example.org/${registry}/owner/image</code>`);
    }
    // No MIRROR_SUBDOMAINS (workers.dev, or setup without --subdomains): no host form that has no DNS record.
    expect(html).not.toMatch(/<code>[a-z0-9-]+\.mirror\.example\.org\/owner\/image<\/code>/);
    expect(html).not.toContain("host of its own");
    expect(html).toContain("also cr.example.net");
    expect(html).not.toContain("https://harbor.example.net"); // where the mirror fetches from is not the visitor's business
  });

  it("offers exactly the subdomains setup wrote, and path prefixes for the rest", async () => {
    const { html } = await guide("https://mirror.example.org/", HARBOR_SUBDOMAIN);
    expect(html).toContain("<code>harbor.example.org/owner/image</code>");
    expect(html).toContain("<code>mirror.example.org/harbor.example.net/owner/image</code>");
    expect(html).not.toContain("ghcr.example.org");
    expect(html).not.toContain("harbor.mirror.example.org");
    expect(html).toContain("also cr.example.net");
    expect(html).not.toContain("https://harbor.example.net"); // where the mirror fetches from is not the visitor's business
  });

  it("escapes everything interpolated, down to a host name in UPSTREAMS", async () => {
    const vars = {
      UPSTREAMS: JSON.stringify({
        evil: { registry: "https://evil.example", hosts: ['x"><img src=x onerror=alert(1)>'] },
      }),
    };
    const { html, snippets } = await guide("https://mirror.example.org/", vars);
    expect(html).not.toContain("<img");
    expect(html).toContain("&#34;&#62;&#60;img src=x onerror=alert(1)&#62;");
    expect(snippets.get("snippet-docker-daemon")).toContain("mirror.example.org");
  });

  it("on a route's own subdomain, the snippets name the mirror's domain that mirrors Docker Hub", async () => {
    const vars = { MIRROR_HOST: "mirror.example.com", MIRROR_SUBDOMAINS: "ghcr.example.com,docker.example.com" };
    expect((await guide("https://ghcr.example.com/", vars)).snippets.get("snippet-docker-daemon")).toContain(
      '"https://mirror.example.com"',
    );
    expect((await guide("https://docker.example.com/", vars)).snippets.get("snippet-docker-daemon")).toContain(
      '"https://docker.example.com"',
    );
    // A host setup did not write is just a host: its own name is what users paste.
    expect((await guide("https://quay.example.com/", vars)).snippets.get("snippet-docker-daemon")).toContain(
      '"https://quay.example.com"',
    );
  });

  it("over plain HTTP (a LAN or local run), Docker and podman are told the mirror is insecure", async () => {
    const { snippets, html } = await guide("http://localhost:8787/");
    expect(snippets.get("snippet-docker-daemon")).toContain('"insecure-registries": ["localhost:8787"]');
    expect(snippets.get("snippet-podman")).toContain("insecure = true");
    expect(html).not.toContain("ghcr.localhost"); // no subdomains under a single-label host
  });

  it("with mirror users, says to log in first, and reveals nothing about them", async () => {
    const { html, snippets } = await guide("https://mirror.example.org/", {
      MIRROR_USERS: "alice:s3cret-pass",
      MIRROR_TOKEN_SECRET: "k".repeat(32),
    });
    expect(snippets.get("snippet-login")).toBe("docker login mirror.example.org");
    expect(html.indexOf('id="login"')).toBeLessThan(html.indexOf('id="docker"'));
    expect(snippets.get("snippet-k3s")).toContain('"mirror.example.org":\n    auth:');
    expect(html).not.toMatch(/alice|s3cret/);
    const described = await (
      await callWorker(
        "https://mirror.example.org/",
        {},
        { MIRROR_USERS: "alice:s3cret-pass", MIRROR_TOKEN_SECRET: "k".repeat(32) },
      )
    ).text();
    expect(described).not.toMatch(/alice|s3cret/);
    expect(JSON.parse(described)).toMatchObject({ login: true });
    expect((await guide("https://mirror.example.org/")).html).not.toContain("docker login");
  });

  it("gives API clients a short JSON description with the routes and the version", async () => {
    const response = await callWorker(
      "https://mirror.example.org/",
      { headers: { accept: "application/json" } },
      HARBOR_SUBDOMAIN,
    );
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("vary")).toBe("Accept");
    const body = (await response.json()) as {
      version: string;
      mirror: string;
      routes: { route: string; registry: string }[];
    };
    expect(body.version).toBe(version);
    expect(body.mirror).toBe("https://mirror.example.org");
    expect(body.routes).toContainEqual({
      route: "harbor",
      registry: "harbor.example.net",
      hosts: ["harbor.example.net", "cr.example.net"],
      prefix: "mirror.example.org/harbor.example.net/",
      subdomain: "harbor.example.org",
      fallbacks: [], // #23: every route lists its fallbacks; this one has none
    });
    expect(body.routes.find((r) => r.route === "docker")).toMatchObject({ default: true, search: true });
    expect(JSON.stringify(body)).not.toContain("https://harbor.example.net");
  });

  it("HEAD / answers without a body; other methods are 405; robots are kept out", async () => {
    expect((await callWorker("https://mirror.example.org/", { method: "HEAD", headers: BROWSER })).body).toBeNull();
    expect((await callWorker("https://mirror.example.org/", { method: "POST" })).status).toBe(405);
    const robots = await callWorker("https://mirror.example.org/robots.txt");
    expect(await robots.text()).toBe("User-agent: *\nDisallow: /\n");
    const favicon = await callWorker("https://mirror.example.org/favicon.ico");
    expect(favicon.status).toBe(404);
    expect(((await favicon.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("NAME_UNKNOWN");
  });

  it("makes no upstream request", async () => {
    const fake = fakeUpstreams({});
    await guide("https://mirror.example.org/", HARBOR);
    expect(fake.sent).toEqual([]);
  });
});
