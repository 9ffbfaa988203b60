// The guide in English and Chinese: the browser's Accept-Language picks, ?lang= and the page's switch link override,
// and both languages show the same snippets, sections and items for every kind of site.
import { describe, expect, it } from "vitest";
import { callWorker } from "../support/fake-upstream";

const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const USERS = { MIRROR_USERS: "alice:s3cret-pass", MIRROR_TOKEN_SECRET: "k".repeat(32) };
const SUBDOMAINS = { MIRROR_HOST: "mirror.example.org", MIRROR_SUBDOMAINS: "ghcr.example.org" };

async function page(url: string, language: string | undefined, vars: Record<string, string> = {}) {
  const headers: Record<string, string> = { accept: BROWSER };
  if (language !== undefined) headers["accept-language"] = language;
  const response = await callWorker(url, { headers }, vars);
  return { response, html: await response.text() };
}

const langOf = (html: string) => html.match(/<html lang="([^"]+)">/)?.[1];

/** What must be the same in every language: each snippet's id and text, the sections, the list items. */
function shape(html: string) {
  return {
    snippets: [...html.matchAll(/<code id="(snippet-[^"]+)">([\s\S]*?)<\/code>/g)].map((m) => [m[1], m[2]]),
    sections: [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]),
    items: (html.match(/<li>/g) ?? []).length,
    paragraphs: (html.match(/<p[ >]/g) ?? []).length,
    rows: (html.match(/<tr>/g) ?? []).length,
  };
}

describe("the guide's language", () => {
  it.each([
    ["zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"],
    ["zh", "zh-CN"],
    ["zh-Hans", "zh-CN"],
    ["en-US,en;q=0.9", "en"],
    ["fr", "en"],
    [undefined, "en"],
  ])("Accept-Language %j gets <html lang=%j>", async (header, lang) => {
    const { response, html } = await page("https://mirror.example.org/", header);
    expect(response.status).toBe(200);
    expect(langOf(html)).toBe(lang);
    expect(response.headers.get("vary")).toBe("Accept, Accept-Language");
  });

  it("Chinese says it in Chinese: title, buttons, sections", async () => {
    const { html } = await page("https://mirror.example.org/", "zh-CN");
    expect(html).toContain("<title>mirror.example.org · 镜像加速器</title>");
    expect(html).toContain(">复制</button>");
    expect(html).toContain('data-label-copied="已复制"');
    expect(html).toContain("<h2>故障排查</h2>");
    expect(html).not.toMatch(/>Copy<|Troubleshoot|registry mirror/);
  });

  it("links to the other language, and ?lang= wins over the header", async () => {
    const english = await page("https://mirror.example.org/", "en-US");
    expect(english.html).toMatch(/<a class="lang" href="\?lang=zh" hreflang="zh-CN" lang="zh-CN">中文<\/a>/);
    const chinese = await page("https://mirror.example.org/", "zh-CN");
    expect(chinese.html).toMatch(/<a class="lang" href="\?lang=en" hreflang="en" lang="en">English<\/a>/);
    expect(langOf((await page("https://mirror.example.org/?lang=en", "zh-CN")).html)).toBe("en");
    expect(langOf((await page("https://mirror.example.org/?lang=zh", "en-US")).html)).toBe("zh-CN");
    expect(langOf((await page("https://mirror.example.org/?lang=xx", "zh")).html)).toBe("zh-CN");
  });

  it.each([
    ["a plain mirror", "https://mirror.example.org/", {}],
    ["mirror users", "https://mirror.example.org/", USERS],
    ["plain HTTP", "http://localhost:8787/", {}],
    ["subdomains", "https://mirror.example.org/", SUBDOMAINS],
    ["workers.dev", "https://edgehub.tester.workers.dev/", {}],
  ])("both languages show the same snippets, sections and items: %s", async (_, url, vars) => {
    const english = shape((await page(url, "en", vars)).html);
    const chinese = shape((await page(url, "zh", vars)).html);
    expect(english.snippets.length).toBeGreaterThanOrEqual(11);
    expect(chinese).toEqual(english);
  });

  it("covers every client README covers, in both languages", async () => {
    for (const language of ["en", "zh"]) {
      const { html } = await page("https://mirror.example.org/", language, USERS);
      for (const client of ["Docker Engine", "Docker Desktop", "Synology", "hosts.toml", "k3s", "kind", "podman"]) {
        expect(html, `${language}: ${client}`).toContain(client);
      }
      for (const id of ["login", "docker", "containerd", "kubernetes", "podman", "verify", "troubleshoot"]) {
        expect(html, `${language}: ${id}`).toContain(`<section id="${id}"`);
      }
      // With mirror users, containerd nodes are told how to log in, since hosts.toml cannot carry credentials.
      expect(html).toContain("registry.configs.&#34;mirror.example.org&#34;.auth]");
      expect(html).toContain("kubectl create secret docker-registry");
    }
  });

  it("keeps the page small and self-contained in Chinese too", async () => {
    const { response, html } = await page("https://mirror.example.org/", "zh-CN", USERS);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|@import|url\(|<img|<iframe/i);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(new TextEncoder().encode(html).byteLength).toBeLessThan(20_000);
  });

  it("API clients get the same JSON whatever language they prefer", async () => {
    const ask = async (language: string) =>
      (
        await callWorker("https://mirror.example.org/", {
          headers: { accept: "application/json", "accept-language": language },
        })
      ).text();
    expect(await ask("zh-CN")).toBe(await ask("en-US"));
    const json = await callWorker("https://mirror.example.org/?lang=zh", { headers: { accept: "application/json" } });
    expect(json.headers.get("vary")).toBe("Accept");
    expect(await json.text()).toBe(await ask("en-US"));
  });
});
