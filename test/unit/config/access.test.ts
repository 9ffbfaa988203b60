import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config/config";
import type { Env } from "../../../src/config/env";
import { RegistryError } from "../../../src/core/errors";

const SECRET = "s".repeat(32);

function messageOf(env: Env): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(500);
    return (error as RegistryError).message;
  }
  throw new Error("expected a configuration error");
}

describe("access settings are off by default", () => {
  it("unset and empty variables configure nothing", () => {
    const empty = {
      MIRROR_USERS: "",
      MIRROR_TOKEN_SECRET: "",
      ALLOWED_REPOSITORIES: " ",
      DENIED_REPOSITORIES: "",
      BLOCKED_USER_AGENTS: "",
      UPSTREAM_CREDENTIALS: "",
      UPSTREAM_FALLBACKS: "",
    };
    for (const env of [{}, empty]) {
      const { access } = parseConfig(env);
      expect(access.mirror).toBeUndefined();
      expect(access.allowed).toBeUndefined();
      expect(access.denied.size).toBe(0);
      expect(access.credentials.size).toBe(0);
      expect(access.fallbacks.size).toBe(0);
      expect(access.blockedUserAgents).toEqual([]);
      expect(access.rateLimiter).toBeUndefined();
    }
  });
});

describe("valid access settings", () => {
  it("reads mirror users separated by commas, spaces or newlines", () => {
    const { access } = parseConfig({
      MIRROR_USERS: "alice:correct-horse,bob:battery:staple\ncarol@example.com:p4ssw0rd!",
      MIRROR_TOKEN_SECRET: SECRET,
    });
    expect(access.mirror?.users.map((u) => u.username)).toEqual(["alice", "bob", "carol@example.com"]);
    expect(access.mirror?.users[1]?.password).toBe("battery:staple");
  });

  it("names credentials, fallbacks and lists by route name or registry host, case-insensitively, and keys them by registry", () => {
    const { access } = parseConfig({
      UPSTREAM_CREDENTIALS: '{"GHCR.io": {"username": "u", "password": "p"}}',
      UPSTREAM_FALLBACKS: '{"docker.io": "https://mirror.gcr.io"}',
      ALLOWED_REPOSITORIES: '{"ghcr": ["o/*"], "Docker": ["library/*"]}',
    });
    expect([...access.credentials.keys()]).toEqual(["ghcr.io"]);
    expect(access.fallbacks.get("registry-1.docker.io")).toBe("https://mirror.gcr.io");
    expect([...access.allowed!.keys()]).toEqual(["https://ghcr.io", "https://registry-1.docker.io"]);
  });

  it("DOCKERHUB_USERNAME and DOCKERHUB_TOKEN are Docker Hub's credentials, whatever route serves it", () => {
    const { access } = parseConfig({
      DOCKERHUB_USERNAME: "me",
      DOCKERHUB_TOKEN: "dckr_pat_x",
      SHARE_UPSTREAM_CREDENTIALS: "true",
    });
    expect([...access.credentials]).toEqual([["registry-1.docker.io", { username: "me", password: "dckr_pat_x" }]]);
    const repointed = parseConfig({
      DOCKERHUB_USERNAME: "me",
      DOCKERHUB_TOKEN: "dckr_pat_x",
      UPSTREAMS:
        '{"docker": {"registry": "https://registry.example.net"}, "hub": {"registry": "https://registry-1.docker.io"}}',
      SHARE_UPSTREAM_CREDENTIALS: "true",
    });
    expect([...repointed.access.credentials.keys()]).toEqual(["registry-1.docker.io"]);
  });

  it.each([
    ["mirror users", { MIRROR_USERS: "alice:correct-horse", MIRROR_TOKEN_SECRET: SECRET }],
    ["an allow list for the route", { ALLOWED_REPOSITORIES: '{"docker": ["library/*"]}' }],
    ["SHARE_UPSTREAM_CREDENTIALS=true", { SHARE_UPSTREAM_CREDENTIALS: "TRUE" }],
  ])("upstream credentials are accepted behind %s", (_label, guard) => {
    expect(parseConfig({ DOCKERHUB_USERNAME: "me", DOCKERHUB_TOKEN: "t", ...guard }).access.credentials.size).toBe(1);
  });
});

describe("malformed access settings fail loudly, naming the variable and never the value", () => {
  it.each<[string, Env, string, string]>([
    [
      "MIRROR_USERS",
      { MIRROR_USERS: "alice-hunter22", MIRROR_TOKEN_SECRET: SECRET },
      "entry 1 must be user:password",
      "hunter22",
    ],
    ["MIRROR_USERS", { MIRROR_USERS: "alice:short", MIRROR_TOKEN_SECRET: SECRET }, "at least 8 characters", "short"],
    [
      "MIRROR_USERS",
      { MIRROR_USERS: "a:password1,a:password2", MIRROR_TOKEN_SECRET: SECRET },
      "repeats the user",
      "password",
    ],
    [
      "MIRROR_USERS",
      { MIRROR_USERS: "bad user?:password1", MIRROR_TOKEN_SECRET: SECRET },
      "must be user:password",
      "password1",
    ],
    ["MIRROR_TOKEN_SECRET", { MIRROR_USERS: "alice:password1" }, "at least 32 characters", "password1"],
    [
      "MIRROR_TOKEN_SECRET",
      { MIRROR_USERS: "alice:password1", MIRROR_TOKEN_SECRET: "too-short-secret" },
      "at least 32",
      "too-short-secret",
    ],
    ["MIRROR_TOKEN_SECRET", { MIRROR_TOKEN_SECRET: SECRET }, "MIRROR_USERS is not", SECRET],
    ["DOCKERHUB_TOKEN", { DOCKERHUB_USERNAME: "me" }, "set DOCKERHUB_USERNAME and DOCKERHUB_TOKEN together", "me"],
    ["DOCKERHUB_USERNAME", { DOCKERHUB_TOKEN: "dckr_pat_secret" }, "together", "dckr_pat_secret"],
    [
      "DOCKERHUB_TOKEN",
      { DOCKERHUB_USERNAME: "me", DOCKERHUB_TOKEN: "dckr_pat_secret" },
      "private repositories",
      "dckr_pat_secret",
    ],
    [
      "UPSTREAM_CREDENTIALS",
      { UPSTREAM_CREDENTIALS: '{"ghcr": {"username": "u", "password": "ghp_secret"}}' },
      "SHARE_UPSTREAM_CREDENTIALS=true",
      "ghp_secret",
    ],
    [
      "UPSTREAM_CREDENTIALS",
      { UPSTREAM_CREDENTIALS: '{"ghcr": {"user": "u", "password": "ghp_secret"}}' },
      '"ghcr" must be an object',
      "ghp_secret",
    ],
    ["UPSTREAM_CREDENTIALS", { UPSTREAM_CREDENTIALS: '{"ghcr": "ghp_secret"' }, "not valid JSON", "ghp_secret"],
    [
      "UPSTREAM_CREDENTIALS",
      { UPSTREAM_CREDENTIALS: '{"nope": {"username": "u", "password": "ghp_secret"}}' },
      'names no route: "nope"',
      "ghp_secret",
    ],
    [
      "UPSTREAM_CREDENTIALS",
      {
        UPSTREAM_CREDENTIALS: '{"docker": {"username": "u", "password": "ghp_secret"}}',
        DOCKERHUB_USERNAME: "me",
        DOCKERHUB_TOKEN: "t",
        SHARE_UPSTREAM_CREDENTIALS: "true",
      },
      "keep one",
      "ghp_secret",
    ],
    ["SHARE_UPSTREAM_CREDENTIALS", { SHARE_UPSTREAM_CREDENTIALS: "yes" }, 'must be "true" or "false"', "\u0000"],
    ["ALLOWED_REPOSITORIES", { ALLOWED_REPOSITORIES: '["library/*"]' }, "must be a JSON object", "\u0000"],
    [
      "ALLOWED_REPOSITORIES",
      { ALLOWED_REPOSITORIES: '{"docker": "library/*"}' },
      "must be an array of globs",
      "\u0000",
    ],
    ["ALLOWED_REPOSITORIES", { ALLOWED_REPOSITORIES: '{"dockr": ["library/*"]}' }, 'names no route: "dockr"', "\u0000"],
    [
      "DENIED_REPOSITORIES",
      { DENIED_REPOSITORIES: '{"docker": ["library/(a|b)"]}' },
      "is not a repository glob",
      "\u0000",
    ],
    ["DENIED_REPOSITORIES", { DENIED_REPOSITORIES: '{"docker": ["/library"]}' }, "is not a repository glob", "\u0000"],
    [
      "DENIED_REPOSITORIES",
      { DENIED_REPOSITORIES: '{"docker": ["a"], "docker.io": ["b"]}' },
      "listed under another key",
      "\u0000",
    ],
    ["BLOCKED_USER_AGENTS", { BLOCKED_USER_AGENTS: '["bot"]' }, "comma-separated list", "\u0000"],
    [
      "UPSTREAM_FALLBACKS",
      { UPSTREAM_FALLBACKS: '{"docker": "https://mirror.gcr.io/v2/"}' },
      "must be a registry origin",
      "\u0000",
    ],
    [
      "UPSTREAM_FALLBACKS",
      { UPSTREAM_FALLBACKS: '{"docker": "https://user:pw@mirror.example"}' },
      "must be a registry origin",
      "user:pw",
    ],
    [
      "UPSTREAM_FALLBACKS",
      { UPSTREAM_FALLBACKS: '{"docker": "https://registry-1.docker.io"}' },
      "the route's own registry",
      "\u0000",
    ],
  ])("%s: %j", (variable, env, problem, secret) => {
    const message = messageOf(env);
    expect(message).toContain(variable);
    expect(message).toContain(problem);
    expect(message).not.toContain(secret);
  });

  it("a RATE_LIMITER that is not a Rate Limiting binding", () => {
    expect(messageOf({ RATE_LIMITER: "100" as unknown as RateLimit })).toContain("[[ratelimits]]");
  });
});
