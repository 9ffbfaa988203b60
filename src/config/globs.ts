/**
 * Repository globs of ALLOWED_REPOSITORIES and DENIED_REPOSITORIES, compiled once per isolate into matchers.
 */
import { normalizeRepository, type Upstream } from "./registries";

/** Whether a (normalised, upstream) repository name is on a list. */
export type RepositoryMatcher = (repository: string) => boolean;

const GLOB = /^[a-z0-9._*-]+(?:\/[a-z0-9._*-]+)*$/;

/**
 * Compiles globs for one upstream: `*` matches within one name component, `**` across components. A pattern without
 * `/` is normalised like a client's short name (`nginx` and `*` mean `library/…` on Docker Hub). Returns the first
 * malformed pattern instead of a matcher.
 */
export function compileGlobs(patterns: string[], upstream: Upstream): RepositoryMatcher | string {
  const expressions: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    if (!GLOB.test(pattern)) return raw;
    const name = pattern.includes("/") || pattern.includes("**") ? pattern : normalizeRepository(upstream, pattern);
    expressions.push(
      name
        .split("**")
        .map((part) => part.split("*").map((literal) => literal.replace(/\./g, "\\.")).join("[^/]*"))
        .join(".*"),
    );
  }
  const expression = new RegExp(`^(?:${expressions.join("|") || "(?!)"})$`);
  return (repository) => expression.test(repository);
}
