/**
 * Which language the guide speaks: `?lang=en` or `?lang=zh` (the page's own switch link) wins; otherwise the
 * browser's Accept-Language (RFC 9110 section 12.5.4), where any `zh` tag (zh, zh-CN, zh-Hans, zh-TW…) ranked above
 * every English one picks Chinese. Anything else, a wildcard included, gets English.
 */
import type { Words } from "./words";
import { ENGLISH } from "./words-en";
import { CHINESE } from "./words-zh";

/** The guide's languages. */
export type Language = "en" | "zh";

const LANGUAGES: readonly Language[] = ["en", "zh"];

/** Picks the guide's language for a request. */
export function chooseLanguage(url: URL, acceptLanguage: string | null): Language {
  const asked = url.searchParams.get("lang")?.toLowerCase();
  if (asked && (LANGUAGES as readonly string[]).includes(asked)) return asked as Language;
  let best: { language: Language; q: number } | undefined;
  for (const range of (acceptLanguage ?? "").split(",").slice(0, 32)) {
    const [tag = "", ...params] = range.trim().toLowerCase().split(";");
    const language = LANGUAGES.find((l) => tag === l || tag.startsWith(`${l}-`));
    if (!language) continue;
    const q = qualityOf(params);
    // Ranges are listed best first when their weights tie, so only a strictly higher weight replaces the first.
    if (q > 0 && (!best || q > best.q)) best = { language, q };
  }
  return best?.language ?? "en";
}

function qualityOf(params: string[]): number {
  for (const param of params) {
    const [name, value] = param.split("=").map((s) => s.trim());
    if (name === "q") {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}

/** The guide's words in a language. */
export function wordsFor(language: Language): Words {
  return language === "zh" ? CHINESE : ENGLISH;
}
