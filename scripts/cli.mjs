// How every script reads its command line: a mistake is one line naming it, then the usage, exit 1; never a stack
// trace (Node's parseArgs errors are long and mention `--` tricks a user of npm scripts does not need).
import { parseArgs } from "node:util";

/** Prints `<script>: <mistake>` and the usage, and exits 1. */
export function usageError(script, mistake, usage) {
  console.error(`${script}: ${mistake}\n${usage}`);
  process.exit(1);
}

/** One line for a parseArgs error: the option at fault and what is wrong with it, with a close match if there is one. */
function describe(error, options) {
  const text = String(error.message);
  const option = text.match(/'(--?[^' ]+)/)?.[1] ?? "";
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const name = option.replace(/^-+/, "");
    const near = Object.keys(options).find((known) => known.startsWith(name) || name.startsWith(known));
    return `unknown option ${option}${near ? ` (did you mean --${near}?)` : ""}`;
  }
  if (/does not take an argument/.test(text)) return `${option} takes no value (write ${option} alone)`;
  if (/argument missing|ambiguous/.test(text)) return `${option} needs a value`;
  return text.split("\n")[0];
}

/** parseArgs in strict mode; a mistake ends the process with usageError. */
export function parseCommandLine(script, usage, options, args = process.argv.slice(2)) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    if (!String(error?.code).startsWith("ERR_PARSE_ARGS")) throw error;
    usageError(script, describe(error, options), usage);
  }
}
