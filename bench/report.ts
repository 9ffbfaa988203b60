/**
 * The benchmark's report: markdown tables printed and written to bench/results/latest.md, which README quotes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RESULTS = fileURLToPath(new URL("./results", import.meta.url));

/** Collects titled tables and writes them out once. */
export class Report {
  private readonly sections: string[] = [];

  /** Adds a table: a header row and rows of cells. */
  table(title: string, header: string[], rows: (string | number)[][]): void {
    const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
    this.sections.push([`### ${title}`, "", line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n"));
  }

  /** Adds a paragraph. */
  note(text: string): void {
    this.sections.push(text);
  }

  /** Prints the report and writes it to bench/results/<file> (latest.md unless told). */
  write(context: string, file = "latest.md"): string {
    const text = `${[`Measured ${new Date().toISOString().slice(0, 10)} on ${context}.`, ...this.sections].join("\n\n")}\n`;
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}/${file}`, text);
    console.log(text);
    return text;
  }
}

/** A number with a fixed count of decimals. */
export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}
