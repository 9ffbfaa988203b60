/**
 * MIRROR_USERS and MIRROR_TOKEN_SECRET: who may `docker login` to the mirror, and the key its tokens are signed with.
 */
import { configError } from "../core/errors";
import type { Credential, MirrorUsers } from "./access";
import type { Env } from "./env";
import { isSet } from "./values";

const USERNAME = /^[A-Za-z0-9._@+-]{1,128}$/;
const MIN_PASSWORD_LENGTH = 8;
/** Anyone who guesses the key mints tokens; RFC 2104 section 3 asks for a key no shorter than the hash (32 bytes). */
const MIN_SECRET_LENGTH = 32;

/**
 * MIRROR_USERS (user:password pairs, separated by commas, spaces or newlines) and MIRROR_TOKEN_SECRET: both or
 * neither. Errors name the entry by position, never by content: an entry may be a password.
 */
export function parseMirrorUsers(env: Env): MirrorUsers | undefined {
  const raw = env.MIRROR_USERS;
  const secret = env.MIRROR_TOKEN_SECRET ?? "";
  if (!isSet(raw)) {
    if (secret !== "")
      throw configError(
        "MIRROR_TOKEN_SECRET",
        "is set but MIRROR_USERS is not: set both to require docker login, or neither",
      );
    return undefined;
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw configError(
      "MIRROR_TOKEN_SECRET",
      `must be set, at least ${MIN_SECRET_LENGTH} characters, when MIRROR_USERS is (e.g. openssl rand -base64 48)`,
    );
  }
  const users: Credential[] = [];
  raw
    .split(/[\s,]+/)
    .filter((entry) => entry !== "")
    .forEach((entry, index) => {
      const colon = entry.indexOf(":");
      const username = entry.slice(0, colon);
      const password = entry.slice(colon + 1);
      const where = `entry ${index + 1}`;
      if (colon < 0 || !USERNAME.test(username))
        throw configError("MIRROR_USERS", `${where} must be user:password, the user made of letters, digits and ._@+-`);
      if (password.length < MIN_PASSWORD_LENGTH)
        throw configError("MIRROR_USERS", `${where}: the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
      if (users.some((user) => user.username === username))
        throw configError("MIRROR_USERS", `${where} repeats the user of an earlier entry`);
      users.push({ username, password });
    });
  return { users, secret };
}
