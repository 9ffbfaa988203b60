/**
 * The mirror's own bearer tokens: compact JWTs (RFC 7519) signed with HMAC-SHA256 (RFC 7515 appendix A.1) under
 * MIRROR_TOKEN_SECRET, with Web Crypto. Clients treat them as opaque; only this Worker reads them. The header is
 * fixed and compared byte for byte, so a token cannot pick its own algorithm (`"alg": "none"` and the like).
 */
import { isolate } from "../core/isolate";
import { isRecord, parseJson } from "../core/parse";

/** What a mirror token says: who, until when, and which repositories (`registry/repository`, normalised). */
export interface MirrorClaims {
  sub: string;
  /** Issued at and expiry, seconds since the epoch. */
  iat: number;
  exp: number;
  access: string[];
}

const HEADER = base64url(new TextEncoder().encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
/** Imported keys per secret string; a secret is imported once per isolate, not once per request. */
const keys = isolate.memory<string, Promise<CryptoKey>>("mirror token keys", 16);

/** The grant that lets a token cover one repository of one registry (its identity, config/registries.ts). */
export function grantFor(registry: string, repository: string): string {
  return `${registry}/${repository}`;
}

/** Signs claims into a token. */
export async function mintMirrorToken(secret: string, claims: MirrorClaims): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify(claims)));
  const signature = await crypto.subtle.sign(
    "HMAC",
    await keyFor(secret),
    new TextEncoder().encode(`${HEADER}.${payload}`),
  );
  return `${HEADER}.${payload}.${base64url(new Uint8Array(signature))}`;
}

/** The claims of a token signed with this secret and not expired at `nowMs`; undefined for anything else. */
export async function verifyMirrorToken(
  secret: string,
  token: string,
  nowMs = Date.now(),
): Promise<MirrorClaims | undefined> {
  const [header, payload, signature, extra] = token.split(".");
  if (header !== HEADER || payload === undefined || signature === undefined || extra !== undefined) return undefined;
  const signatureBytes = decodeBase64url(signature);
  if (!signatureBytes) return undefined;
  // verify() compares in constant time, so the signature cannot be guessed byte by byte.
  const valid = await crypto.subtle.verify(
    "HMAC",
    await keyFor(secret),
    signatureBytes,
    new TextEncoder().encode(`${header}.${payload}`),
  );
  if (!valid) return undefined;
  const claims = parseClaims(decodeBase64url(payload));
  return claims && claims.exp * 1000 > nowMs ? claims : undefined;
}

function parseClaims(bytes: Uint8Array | undefined): MirrorClaims | undefined {
  if (!bytes) return undefined;
  const value = parseJson(bytes);
  if (!isRecord(value)) return undefined;
  const { sub, iat, exp, access } = value;
  if (typeof sub !== "string" || typeof iat !== "number" || typeof exp !== "number") return undefined;
  if (!Array.isArray(access) || !access.every((grant) => typeof grant === "string")) return undefined;
  return { sub, iat, exp, access };
}

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}
