/** The Workers Logs queries a document gives, for tests that check each names only fields the log lines carry. */

/** One query: its text, and every field it aggregates, filters or groups on. */
export interface LogQuery {
  text: string;
  fields: string[];
}

/** Each ```text block of `markdown` that starts with a Visualization line, and the fields it names. */
export function logQueriesIn(markdown: string): LogQuery[] {
  return [...markdown.matchAll(/```text\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((text) => text.startsWith("Visualization:"))
    .map((text) => {
      const line = (name: string) => text.match(new RegExp(`^${name}: (.*)$`, "m"))?.[1] ?? "";
      const aggregated = [...line("Visualization").matchAll(/\w+\((\w+)\)/g)].map((m) => m[1]!);
      const filtered = line("Filter")
        .split(" AND ")
        .filter(Boolean)
        .map((clause) => clause.split(" ")[0]!);
      const grouped = line("Group by")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      return { text, fields: [...aggregated, ...filtered, ...grouped] };
    });
}
