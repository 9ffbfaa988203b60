/**
 * What the access checks share: HTTP Basic credentials as a client sends them, and digests that make secrets of any
 * length comparable in constant time.
 */

/** The user name and password of an `Authorization: Basic …` header, or undefined when it is none or does not decode. */
export function readBasicCredentials(authorization: string): { username: string; password: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(authorization)?.[1];
  if (encoded === undefined) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** SHA-256 of a text: equal-length values for `crypto.subtle.timingSafeEqual`, whatever the secrets' lengths. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
