/**
 * WWW-Authenticate challenges (RFC 9110 section 11.6.1), as registries send them:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"`.
 */

/** A parsed challenge. `scheme` is lower-cased; parameter names are lower-cased, values kept as sent. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/** Parses the first challenge in a WWW-Authenticate value; undefined when it is not one. */
export function parseChallenge(header: string): Challenge | undefined {
  let rest = header.trim();
  const scheme = TOKEN.exec(rest)?.[0];
  if (!scheme) return undefined;
  rest = rest.slice(scheme.length);
  // No prototype: a parameter named `__proto__` from an upstream is a parameter, not a prototype assignment.
  const params: Record<string, string> = Object.create(null);
  for (;;) {
    rest = rest.replace(/^[\s,]+/, "");
    const name = TOKEN.exec(rest)?.[0];
    if (!name || !/^\s*=/.test(rest.slice(name.length))) break; // end, or the start of a second challenge
    rest = rest.slice(name.length).replace(/^\s*=\s*/, "");
    const value = readValue(rest);
    if (!value) break;
    params[name.toLowerCase()] = value.text;
    rest = rest.slice(value.length);
  }
  return { scheme: scheme.toLowerCase(), params };
}

function readValue(input: string): { text: string; length: number } | undefined {
  if (!input.startsWith('"')) {
    const token = /^[^\s,]+/.exec(input)?.[0];
    return token ? { text: token, length: token.length } : undefined;
  }
  let text = "";
  for (let i = 1; i < input.length; i++) {
    const char = input.charAt(i);
    if (char === "\\" && i + 1 < input.length) text += input.charAt(++i);
    else if (char === '"') return { text, length: i + 1 };
    else text += char;
  }
  return undefined; // unterminated quote
}

/** Formats a challenge with every parameter quoted. */
export function formatChallenge(challenge: Challenge): string {
  const scheme = challenge.scheme.charAt(0).toUpperCase() + challenge.scheme.slice(1);
  const params = Object.entries(challenge.params).map(
    ([name, value]) => `${name}="${value.replace(/["\\]/g, "\\$&")}"`,
  );
  return params.length ? `${scheme} ${params.join(",")}` : scheme;
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1); undefined for anything else. */
export function bearerToken(authorization: string | null): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
}
