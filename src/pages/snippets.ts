/**
 * The shapes the guide is built from: sections of steps, each a sentence and, mostly, a block to paste with this
 * mirror's real host filled in. Snippets are plain text (the guide escapes them) and the same in every language;
 * only the sentences around them come from `Words`.
 */
import type { Site } from "./site";

/** One block a user pastes: a file's content or commands. */
export interface Snippet {
  id: string;
  /** The file it belongs in, or "shell" for commands. */
  label: string;
  text: string;
}

/** A sentence, and the snippet it introduces when there is one. */
export interface Step {
  before: string;
  snippet?: Snippet;
}

/** One section of the guide: its steps, then an optional note and list. */
export interface Section {
  id: string;
  title: string;
  steps: Step[];
  /** Plain-text note after the snippets (the guide escapes it and renders `code` spans from backticks). */
  after?: string;
  /** Plain-text items shown as a list after the note. */
  items?: string[];
  /** Set off from the rest: something to do before anything else works. */
  callout?: boolean;
}

/** A registry other than Docker Hub to show the path-prefix form with. */
export function exampleRegistry(site: Site): string {
  return (
    site.routes.find((r) => r.name === "ghcr")?.registry ?? site.routes.find((r) => !r.isDefault)?.registry ?? "ghcr.io"
  );
}

/** A snippet that is a file's content. */
export function file(id: string, path: string, text: string): Snippet {
  return { id, label: path, text };
}

/** A snippet of shell commands. */
export function shell(id: string, text: string): Snippet {
  return { id, label: "shell", text };
}
