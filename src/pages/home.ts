/**
 * Every path that is not part of a registry API (`/`, `/favicon.ico`, anything a browser or crawler asks for) comes
 * here, and HOME_PAGE decides what it sees: the guide, the nginx decoy, a redirect, or a plain 404. Registry paths
 * (`/v2/…`, `/token`, `/v1/…`) are routed elsewhere and never depend on it.
 */
import { version } from "../../package.json";
import type { Config } from "../config/config";
import { RegistryError } from "../core/errors";
import { bodyFor } from "../core/http";
import { guideContentSecurityPolicy } from "./assets";
import { answerNginxDecoy, answerRedirect } from "./decoys";
import { renderGuide } from "./guide";
import { escapeHtml, htmlResponse } from "./html";
import { chooseLanguage } from "./language";
import { describeJson, describeSite } from "./site";

/** Crawlers are asked not to index the guide: a mirror found by search engines burns its owner's quota. */
const ROBOTS_TXT = "User-agent: *\nDisallow: /\n";

/** Answers a browser path as HOME_PAGE says. */
export function answerBrowserPath(request: Request, url: URL, config: Config): Response | Promise<Response> {
  const home = config.homePage;
  switch (home.mode) {
    case "nginx":
      return answerNginxDecoy(request, url);
    case "redirect":
      return answerRedirect(home.location);
    case "none":
      throw notFound(url);
    case "guide":
      return answerGuidePath(request, url, config);
  }
}

/**
 * What a blocked crawler (the access policy's User-Agent list) gets on a browser path: the owner's decoy when
 * HOME_PAGE names one, else the nginx decoy, never the guide. The entry hands over the URL it parsed.
 */
export function answerBlockedCrawler(
  request: Request,
  config: Config,
  url = new URL(request.url),
): Response | Promise<Response> {
  return config.homePage.mode === "guide" ? answerNginxDecoy(request, url) : answerBrowserPath(request, url, config);
}

async function answerGuidePath(request: Request, url: URL, config: Config): Promise<Response> {
  if (url.pathname !== "/" && url.pathname !== "/robots.txt") throw notFound(url);
  if (request.method !== "GET" && request.method !== "HEAD") {
    throw new RegistryError("UNSUPPORTED", `${request.method} is not supported here`, {
      headers: { Allow: "GET, HEAD" },
    });
  }
  const headers: Record<string, string> = {
    "cache-control": "no-store",
    vary: "Accept",
    "referrer-policy": "no-referrer",
  };
  if (url.pathname === "/robots.txt") return textResponse(request, ROBOTS_TXT, "text/plain; charset=utf-8", headers);
  const site = describeSite(url, config);
  if (!(request.headers.get("accept") ?? "").includes("text/html")) {
    return textResponse(request, describeJson(site, version), "application/json; charset=utf-8", headers);
  }
  headers["content-security-policy"] = await guideContentSecurityPolicy();
  // The page speaks the browser's language (Accept-Language) unless ?lang= picks one; the JSON above has no words.
  headers.vary = "Accept, Accept-Language";
  const language = chooseLanguage(url, request.headers.get("accept-language"));
  return htmlResponse(request, renderGuide(site, version, language), { headers });
}

/**
 * The page at `/` when the configuration does not parse: the error that fails every registry request, for the owner
 * (docker, podman and skopeo print only the status). Not when HOME_PAGE asks for a decoy or nothing: then `/` fails
 * like every other path, and the message is in Workers Logs. The message names the variable, never its value.
 */
export function answerMisconfigured(
  request: Request,
  error: RegistryError,
  homePage: string | undefined,
): Response | undefined {
  if (!["", "guide"].includes((homePage ?? "").trim().toLowerCase())) return undefined;
  const headers = {
    "cache-control": "no-store",
    vary: "Accept",
    "content-security-policy": "default-src 'none'",
  };
  if (!(request.headers.get("accept") ?? "").includes("text/html")) {
    const body = JSON.stringify({ name: "edgehub", version, error: { code: error.code, message: error.message } });
    return new Response(bodyFor(request.method, body), {
      status: 500,
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    });
  }
  const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow"><title>edgehub: configuration error</title></head>
<body>
<h1>This mirror is misconfigured</h1>
<p><strong>${escapeHtml(error.message)}</strong></p>
<p>Every registry request answers 500 until it is fixed. Correct the variable in wrangler.toml (or the secret), run <code>npm run check</code>, then <code>npm run deploy</code>.</p>
<p>edgehub ${escapeHtml(version)}</p>
</body>
</html>
`;
  return htmlResponse(request, page, { status: 500, headers });
}

function textResponse(request: Request, body: string, type: string, headers: Record<string, string>): Response {
  return new Response(bodyFor(request.method, body), { headers: { ...headers, "content-type": type } });
}

function notFound(url: URL): RegistryError {
  return new RegistryError("NAME_UNKNOWN", "no such endpoint on this mirror", {
    status: 404,
    detail: { path: url.pathname },
  });
}
