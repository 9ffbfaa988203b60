import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import { VARIABLES } from "../../../src/config/variables";

describe("examples in config/variables.ts", () => {
  it("every secret has an example, and together they are a configuration the Worker accepts (check.mjs's stand-ins)", () => {
    const secrets = Object.fromEntries(
      VARIABLES.flatMap((variable) => (variable.kind === "secret" ? [[variable.name, variable.example]] : [])),
    );
    expect(Object.values(secrets).every((example) => typeof example === "string")).toBe(true);
    expect(() => parseConfig(secrets)).not.toThrow();
  });

  it("every variable's example is a value the Worker accepts", () => {
    for (const variable of VARIABLES) {
      if (variable.kind !== "var" || !("example" in variable)) continue;
      expect(() => parseConfig({ [variable.name]: variable.example }), variable.name).not.toThrow();
    }
  });
});
