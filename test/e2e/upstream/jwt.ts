/**
 * Bearer tokens in the form distribution 2.8 verifies (registry/auth/token/token.go): an RS256 JWT whose `x5c` header
 * carries the signing certificate, which the registry checks against `auth.token.rootcertbundle`.
 * https://distribution.github.io/distribution/spec/auth/jwt/
 */
import { createPrivateKey, type KeyObject, randomUUID, sign, X509Certificate } from "node:crypto";
import type { Certificate } from "../support/tls";

/** One granted resource, as in the token's `access` claim. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** What a token says about its holder. */
export interface TokenClaims {
  subject: string;
  audience: string;
  access: Access[];
  ttlSeconds: number;
}

/** Signs claims into a compact JWT. */
export type Signer = (claims: TokenClaims) => string;

/** Makes a signer for one issuer from a certificate and its private key. */
export function createSigner(cert: Certificate, issuer: string): Signer {
  const key = createPrivateKey(cert.keyPem);
  // The registry parses x5c[0] with base64.StdEncoding as DER, so this is padded base64, not base64url.
  const header = { typ: "JWT", alg: "RS256", x5c: [new X509Certificate(cert.certPem).raw.toString("base64")] };
  const encodedHeader = encodeSegment(header);
  return (claims) => signClaims(key, encodedHeader, issuer, claims);
}

function signClaims(key: KeyObject, encodedHeader: string, issuer: string, claims: TokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: issuer,
    sub: claims.subject,
    aud: claims.audience,
    exp: now + claims.ttlSeconds,
    nbf: now,
    iat: now,
    jti: randomUUID(),
    access: claims.access,
  };
  const input = `${encodedHeader}.${encodeSegment(payload)}`;
  // RS256 is RSASSA-PKCS1-v1_5 with SHA-256, Node's default padding for RSA keys.
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Reads the claims of a token without verifying it (for assertions in tests). */
export function decodeClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}
