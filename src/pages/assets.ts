/**
 * The guide's only style sheet and script, inlined so the page needs nothing from anywhere (it works offline and
 * behind filters that block CDNs). Both are constants, so the Content-Security-Policy allows exactly them by hash.
 */
import { isolate } from "../core/isolate";

/** Light by default, dark when the system asks for it; one column that fits a phone. */
export const GUIDE_CSS = `:root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1b1f24;--muted:#57606a;--card:#fff;--line:#d5dbe1;--code:#f1f3f6;--accent:#0a66d6;--ok:#1a7f37}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--card:#161b22;--line:#30363d;--code:#10151c;--accent:#58a6ff;--ok:#3fb950}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif}
main{max-width:54rem;margin:0 auto;padding:2.5rem 1.25rem 3rem}
a{color:var(--accent)}
.tag{margin:0;font-size:.78rem;font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:var(--accent)}
.lang{float:right;padding:.15rem .7rem;border:1px solid var(--line);border-radius:999px;background:var(--card);color:var(--fg);font-weight:600;letter-spacing:0;text-transform:none;text-decoration:none}
.lang:hover,.lang:focus-visible{border-color:var(--accent);color:var(--accent)}
h1{margin:.2rem 0 .6rem;font-size:clamp(1.6rem,6vw,2.4rem);line-height:1.15;overflow-wrap:anywhere}
.lede{margin:0;max-width:42rem;color:var(--muted)}
nav{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:1.4rem}
nav a{padding:.3rem .8rem;border:1px solid var(--line);border-radius:999px;background:var(--card);color:var(--fg);font-size:.9rem;text-decoration:none}
nav a:hover,nav a:focus-visible{border-color:var(--accent);color:var(--accent)}
section{margin-top:2.6rem}
.callout{padding:1rem 1.2rem 1.2rem;border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:10px;background:var(--card)}
.callout h2{border:0;padding:0}
h2{margin:0 0 .4rem;padding-bottom:.45rem;border-bottom:1px solid var(--line);font-size:1.3rem}
p{margin:1rem 0 .55rem}
.note{color:var(--muted);font-size:.92rem}
ul{margin:1rem 0;padding-left:1.3rem}li{margin:.35rem 0}
code,pre,.bar span{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace}
p code,td code{padding:.05em .35em;border:1px solid var(--line);border-radius:5px;background:var(--code);font-size:.86em;overflow-wrap:anywhere}
.snippet{overflow:hidden;border:1px solid var(--line);border-radius:10px;background:var(--card)}
.bar{display:flex;align-items:center;justify-content:space-between;gap:.75rem;padding:.35rem .45rem .35rem .9rem;border-bottom:1px solid var(--line);color:var(--muted);font-size:.8rem}
.bar span{overflow-wrap:anywhere}
button.copy{flex:none;min-width:4.6rem;padding:.45rem .8rem;border:1px solid var(--line);border-radius:7px;background:var(--bg);color:var(--fg);font:600 .8rem/1 system-ui,sans-serif;cursor:pointer}
button.copy:hover,button.copy:focus-visible{border-color:var(--accent);color:var(--accent)}
button.copy.done{border-color:var(--ok);color:var(--ok)}
pre{margin:0;padding:.9rem 1rem;overflow-x:auto;background:var(--code);font-size:.85rem;line-height:1.55}
.table{overflow-x:auto;border:1px solid var(--line);border-radius:10px;background:var(--card)}
table{width:100%;border-collapse:collapse;font-size:.9rem}
th,td{padding:.55rem .8rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{color:var(--muted);font-size:.75rem;letter-spacing:.06em;text-transform:uppercase}
tr:last-child td{border-bottom:0}
td:first-child{min-width:9.5rem}
td code{display:inline-block;margin:.1rem 0;white-space:nowrap;overflow-wrap:normal}
td small{display:block;color:var(--muted)}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem}
@media (max-width:30rem){main{padding:1.6rem 1rem 2.5rem}pre{padding:.8rem .85rem;font-size:.78rem}
thead{display:none}tr,td{display:block}td{border-bottom:0;padding:.2rem .8rem}td:first-child{min-width:0;padding-top:.6rem}
tr{border-bottom:1px solid var(--line);padding-bottom:.45rem}tr:last-child{border-bottom:0}td code{white-space:normal;overflow-wrap:anywhere}}`;

/**
 * Copy buttons: the Clipboard API where the page is a secure context, a hidden textarea and execCommand elsewhere. The
 * labels it shows come from the body's data attributes, so one script (one hash in the policy) serves every language.
 */
export const GUIDE_SCRIPT = `document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  if (!button) return;
  const text = document.getElementById(button.dataset.copy).textContent;
  const labels = document.body.dataset;
  const show = (label, ok) => {
    button.textContent = label;
    button.classList.toggle("done", ok);
    clearTimeout(button.timer);
    button.timer = setTimeout(() => { button.textContent = labels.labelCopy; button.classList.remove("done"); }, 1600);
  };
  const fallback = () => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position:fixed;top:0;opacity:0";
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch {}
    area.remove();
    show(ok ? labels.labelCopied : labels.labelSelect, ok);
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(() => show(labels.labelCopied, true), fallback);
  else fallback();
});`;

/**
 * The start of a page in the guide's style, up to its body: not indexed, no referrer, no favicon request, the guide's
 * one style sheet, in `htmlLang`. `title` must already be escaped.
 */
export function guideHead(title: string, htmlLang = "en"): string {
  return `<!doctype html>
<html lang="${htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${GUIDE_CSS}</style>
</head>`;
}

/** Computed once per isolate; a string, not a promise, so no request ever waits on another request's work. */
const policies = isolate.memory<"guide", string>("page policy", 1);

/** The guide's Content-Security-Policy: nothing from anywhere, and only this style sheet and script inline. */
export async function guideContentSecurityPolicy(): Promise<string> {
  let policy = policies.get("guide");
  if (policy === undefined) {
    const [style, script] = await Promise.all([sha256Source(GUIDE_CSS), sha256Source(GUIDE_SCRIPT)]);
    policy = `default-src 'none'; style-src '${style}'; script-src '${script}'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    policies.set("guide", policy);
  }
  return policy;
}

async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}
