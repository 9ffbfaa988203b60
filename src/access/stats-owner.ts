/**
 * Who may see `/stats`: whoever sends STATS_TOKEN, as `Authorization: Bearer <token>` (scripts) or as the password of
 * HTTP Basic with any user name (a browser's prompt). Compared in constant time; the header is never logged.
 */
import { readBasicCredentials, sha256 } from "./basic";

/** The challenge a browser answers with its login prompt. */
export const STATS_CHALLENGE = 'Basic realm="edgehub stats"';

/** Whether the request carries the owner's token. */
export async function isStatsOwner(request: Request, token: string): Promise<boolean> {
  const authorization = request.headers.get("authorization") ?? "";
  const presented =
    /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] ?? readBasicCredentials(authorization.trim())?.password;
  if (presented === undefined) return false;
  const [given, expected] = await Promise.all([sha256(presented), sha256(token)]);
  // Digests of equal length, so the comparison takes the same time whatever was sent.
  return crypto.subtle.timingSafeEqual(given, expected);
}
