/**
 * Who may do what, the way Docker Hub decides it: scopes that are not granted are silently left out of the token
 * (the registry then answers 401 insufficient_scope), and a repository that does not exist is not granted to anyone
 * but the admin, so a missing repository looks the same as a private one.
 * https://distribution.github.io/distribution/spec/auth/scope/
 */
import type { Access } from "./jwt";

/** Who is asking for a token. */
export type Role = "anonymous" | "tester" | "admin";

/** Whether a repository exists, and who may see it: everyone, or only the registry's tester (and admin). */
export type Visibility = (repository: string) => "public" | "private" | undefined;

/** Parses `type:name:actions` scopes; each value may hold several, space separated. Malformed ones are dropped. */
export function parseScopes(values: string[]): Access[] {
  return values
    .flatMap((value) => value.split(" "))
    .flatMap((scope) => {
      const first = scope.indexOf(":");
      const last = scope.lastIndexOf(":");
      if (first <= 0 || last === first) return [];
      // A resource type may carry a class, as in "repository(plugin)"; the class does not change the grant.
      const type = scope.slice(0, first).replace(/\(.*\)$/, "");
      return [
        {
          type,
          name: scope.slice(first + 1, last),
          actions: scope
            .slice(last + 1)
            .split(",")
            .filter(Boolean),
        },
      ];
    });
}

/** Grants the subset of the requested scopes that the role may have, leaving out those that end up empty. */
export function grantAccess(role: Role, requested: Access[], visibility: Visibility): Access[] {
  return requested.flatMap((scope) => {
    const allowed = allowedActions(role, scope, visibility);
    const actions = scope.actions.filter((action) => allowed.includes(action) || allowed.includes("*"));
    return actions.length > 0 ? [{ type: scope.type, name: scope.name, actions }] : [];
  });
}

function allowedActions(role: Role, scope: Access, visibility: Visibility): string[] {
  if (role === "admin") return ["*"];
  const seen = scope.type === "repository" ? visibility(scope.name) : undefined;
  if (seen === undefined) return [];
  if (seen === "private") return role === "tester" ? ["pull"] : [];
  return ["pull"];
}
