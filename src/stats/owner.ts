/**
 * Who may see `/stats`: whoever sends STATS_TOKEN, as `Authorization: Bearer <token>` (scripts) or as the password of
 * HTTP Basic with any user name (a browser's prompt). Compared in constant time; the header is never logged.
 */

/** The challenge a browser answers with its login prompt. */
export const STATS_CHALLENGE = 'Basic realm="edgehub stats"';

/** Whether the request carries the owner's token. */
export async function isOwner(request: Request, token: string): Promise<boolean> {
  const presented = presentedSecret(request.headers.get("authorization") ?? "");
  if (presented === undefined) return false;
  const [given, expected] = await Promise.all([sha256(presented), sha256(token)]);
  // Digests of equal length, so the comparison takes the same time whatever was sent.
  return crypto.subtle.timingSafeEqual(given, expected);
}

/** The token a Bearer header carries, or the password of a Basic one. */
function presentedSecret(authorization: string): string | undefined {
  const [, scheme = "", value = ""] = /^(\S+)\s+(\S+)\s*$/.exec(authorization) ?? [];
  if (/^bearer$/i.test(scheme)) return value;
  if (!/^basic$/i.test(scheme)) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(value), (char) => char.charCodeAt(0)));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
