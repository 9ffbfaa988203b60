/**
 * Repository globs of ALLOWED_REPOSITORIES and DENIED_REPOSITORIES, compiled once per isolate into matchers.
 *
 * A glob list is the owner's, but the name it is matched against is the client's (up to 255 characters), so matching
 * must not backtrack: a regex such as `^[^/]*a[^/]*a[^/]*a[^/]*a[^/]*b$` takes time polynomial in the name's length
 * to fail, of a degree the owner's wildcards set (about a minute for five of them and 255 characters). Each glob is
 * matched instead by simulating its automaton one character at a time: time O(name length x glob length), one pass.
 */
import { normalizeRepository, type Upstream } from "./registries";

/** Whether a (normalised, upstream) repository name is on a list. */
export type RepositoryMatcher = (repository: string) => boolean;

const GLOB = /^[a-z0-9._*-]+(?:\/[a-z0-9._*-]+)*$/;
/** Token of a compiled glob: `*` (any run of characters but `/`), `**` (any run at all), or one literal character. */
const STAR = -1;
const GLOBSTAR = -2;
const SLASH = "/".charCodeAt(0);

/**
 * Compiles globs for one upstream: `*` matches within one name component, `**` across components. A pattern without
 * `/` is normalised like a client's short name (`nginx` and `*` mean `library/…` on Docker Hub). Returns the first
 * malformed pattern instead of a matcher.
 */
export function compileGlobs(patterns: string[], upstream: Upstream): RepositoryMatcher | string {
  const globs: Int32Array[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim().toLowerCase();
    if (!GLOB.test(pattern)) return raw;
    globs.push(
      tokenize(pattern.includes("/") || pattern.includes("**") ? pattern : normalizeRepository(upstream, pattern)),
    );
  }
  return (repository) => globs.some((glob) => matchGlob(glob, repository));
}

/**
 * A glob as tokens. A run of wildcards is one token (`**` if it holds one, else `*`): `a***b` and `a**b` match the same
 * names, and the run costs one state instead of one per star.
 */
function tokenize(glob: string): Int32Array {
  const tokens: number[] = [];
  for (let i = 0; i < glob.length; ) {
    if (glob[i] !== "*") {
      tokens.push(glob.charCodeAt(i++));
      continue;
    }
    let run = 0;
    while (glob[i] === "*") {
      run++;
      i++;
    }
    tokens.push(run >= 2 ? GLOBSTAR : STAR);
  }
  return Int32Array.from(tokens);
}

/**
 * Whether `name` matches the tokens, by keeping the set of glob positions the name read so far can have reached
 * (a Thompson simulation): each character updates every position once, so nothing is ever tried twice.
 */
function matchGlob(tokens: Int32Array, name: string): boolean {
  const states = tokens.length + 1;
  let current = new Uint8Array(states);
  let next = new Uint8Array(states);
  current[0] = 1;
  skipWildcards(tokens, current);
  for (let at = 0; at < name.length; at++) {
    const char = name.charCodeAt(at);
    next.fill(0);
    let alive = false;
    for (let state = 0; state < tokens.length; state++) {
      if (!current[state]) continue;
      const token = tokens[state] ?? 0;
      const reached =
        token === GLOBSTAR || (token === STAR && char !== SLASH) ? state : token === char ? state + 1 : -1;
      if (reached < 0) continue;
      next[reached] = 1;
      alive = true;
    }
    if (!alive) return false;
    skipWildcards(tokens, next);
    [current, next] = [next, current];
  }
  return current[tokens.length] === 1;
}

/** Adds, for each reached position before a wildcard, the position after it: a wildcard may match nothing. */
function skipWildcards(tokens: Int32Array, reached: Uint8Array): void {
  for (let state = 0; state < tokens.length; state++) {
    if (reached[state] && (tokens[state] ?? 0) < 0) reached[state + 1] = 1;
  }
}
