/**
 * Pushes the fixture images over the registry's HTTP API, the way a client does: blobs first (skipping those the
 * registry already has), then child manifests by digest, then the tag. Large blobs stream from disk.
 * https://github.com/opencontainers/distribution-spec/blob/v1.0.1/spec.md#push
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type IncomingHttpHeaders, request } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Blob, blobPath, blobsOf, type FixtureImage } from "./images";

/** Where and how to push. */
export interface PushTarget {
  /** The registry's own unix socket (pushes bypass the front proxy and its request log). */
  socketPath: string;
  /** The blob cache the images were built into. */
  cacheDir: string;
  /** A bearer token with pull and push on the repository. */
  token: (repository: string) => Promise<string>;
}

/** A manifest and what it should hash to. */
type Described = Pick<FixtureImage, "digest" | "mediaType" | "manifest">;

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Pushes every image, all repositories in parallel. */
export async function pushImages(target: PushTarget, images: FixtureImage[]): Promise<void> {
  await Promise.all(images.map((image) => pushImage(target, image)));
}

async function pushImage(target: PushTarget, image: FixtureImage): Promise<void> {
  const send = bind(target, image.repository, await target.token(image.repository));
  await Promise.all(blobsOf(image).map((blob) => pushBlob(send, target.cacheDir, blob)));
  // An index is only accepted once the manifests it lists are in the repository.
  for (const child of image.manifests) {
    if (child.digest !== image.digest) await putManifest(send, child.digest, child);
  }
  await putManifest(send, image.tag, image);
}

/** Pushes blobs held in memory and then one manifest by `reference`, into any repository (a test's own image). */
export async function pushRaw(
  target: Pick<PushTarget, "socketPath" | "token">,
  repository: string,
  blobs: Buffer[],
  manifest: { reference: string; mediaType: string; body: string },
): Promise<Answer> {
  const send = bind({ ...target, cacheDir: "" }, repository, await target.token(repository));
  for (const bytes of blobs) {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const started = checkStatus(await send("POST", "blobs/uploads/"), 202, `start upload of ${digest}`);
    const location = new URL(String(started.headers.location), "http://registry.invalid");
    location.searchParams.set("digest", digest);
    const headers = { "Content-Type": "application/octet-stream", "Content-Length": bytes.length };
    checkStatus(
      await send("PUT", `${location.pathname}${location.search}`, headers, bytes),
      201,
      `upload of ${digest}`,
    );
  }
  return send(
    "PUT",
    `manifests/${manifest.reference}`,
    { "Content-Type": manifest.mediaType },
    Buffer.from(manifest.body),
  );
}

type HeaderMap = Record<string, string | number>;
type Body = Buffer | Readable;
type Send = (method: string, path: string, headers?: HeaderMap, body?: Body) => Promise<Answer>;

/** A request function for one repository and token; a path not starting with "/" is under the repository. */
function bind(target: PushTarget, repository: string, token: string): Send {
  return (method, path, headers = {}, body) => {
    const fullPath = path.startsWith("/") ? path : `/v2/${repository}/${path}`;
    return send(target.socketPath, method, fullPath, { ...headers, Authorization: `Bearer ${token}` }, body);
  };
}

async function pushBlob(send: Send, cacheDir: string, blob: Blob): Promise<void> {
  // The redirect middleware answers HEAD with 307 for a blob it has.
  const head = await send("HEAD", `blobs/${blob.digest}`);
  if (head.status === 200 || head.status === 307) return;
  const started = checkStatus(await send("POST", "blobs/uploads/"), 202, `start upload of ${blob.digest}`);
  const location = new URL(String(started.headers.location), "http://registry.invalid");
  location.searchParams.set("digest", blob.digest);
  const headers = { "Content-Type": "application/octet-stream", "Content-Length": blob.size };
  const body = createReadStream(blobPath(cacheDir, blob.digest));
  const put = await send("PUT", `${location.pathname}${location.search}`, headers, body);
  checkStatus(put, 201, `upload of ${blob.digest}`);
}

/** Puts a manifest by tag or digest, and checks the registry stored the exact bytes we described. */
async function putManifest(send: Send, reference: string, described: Described): Promise<void> {
  const headers = { "Content-Type": described.mediaType };
  const put = await send("PUT", `manifests/${reference}`, headers, Buffer.from(described.manifest));
  const digest = checkStatus(put, 201, `manifest ${reference}`).headers["docker-content-digest"];
  if (digest !== described.digest) {
    throw new Error(`push: ${reference} stored as ${String(digest)}, not ${described.digest}`);
  }
}

function checkStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`push: ${what} answered ${answer.status}: ${answer.text}`);
  return answer;
}

function send(socketPath: string, method: string, path: string, headers: HeaderMap, body?: Body): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body === undefined || Buffer.isBuffer(body)) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}
