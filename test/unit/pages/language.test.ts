import { describe, expect, it } from "vitest";
import { chooseLanguage } from "../../../src/pages/language";

const at = (query = "") => new URL(`https://mirror.example.org/${query}`);

describe("chooseLanguage", () => {
  it.each([
    ["zh-CN,zh;q=0.9,en;q=0.8", "zh"],
    ["zh", "zh"],
    ["zh-Hans", "zh"],
    ["zh-Hans-CN, en;q=0.5", "zh"],
    ["ZH-cn", "zh"],
    ["zh-TW,zh;q=0.9", "zh"],
    ["fr-FR, zh;q=0.5", "zh"],
    ["en;q=0.5, zh-CN", "zh"],
    ["en-US,en;q=0.9", "en"],
    ["en-US,en;q=0.9,zh-CN;q=0.8", "en"],
    ["en, zh", "en"],
    ["zh;q=0, en;q=0.1", "en"],
    ["zh;q=0", "en"],
    ["zhx, zh_CN", "en"],
    ["*", "en"],
    ["fr", "en"],
    ["", "en"],
  ])("Accept-Language %j -> %s", (header, language) => {
    expect(chooseLanguage(at(), header)).toBe(language);
  });

  it("with no Accept-Language at all, English", () => {
    expect(chooseLanguage(at(), null)).toBe("en");
  });

  it("?lang= wins over the header, and an unknown ?lang= is ignored", () => {
    expect(chooseLanguage(at("?lang=en"), "zh-CN")).toBe("en");
    expect(chooseLanguage(at("?lang=zh"), "en-US")).toBe("zh");
    expect(chooseLanguage(at("?lang=ZH"), null)).toBe("zh");
    expect(chooseLanguage(at("?lang=fr"), "zh-CN")).toBe("zh");
    expect(chooseLanguage(at("?lang=fr"), null)).toBe("en");
  });
});
