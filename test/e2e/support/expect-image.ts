/**
 * Digest checks shared by the client suites: what a client stored must be, blob for blob, what was pushed.
 */
import { expect } from "vitest";
import type { StoredImage } from "../clients/common";
import type { FixtureImage, ImageManifest } from "../upstream";

/** Asserts a stored image manifest matches the pushed one: config and every layer digest, and the diff IDs. */
export function expectSameImage(stored: StoredImage, pushed: ImageManifest): void {
  expect(stored.digest).toBe(pushed.digest);
  expect(stored.configDigest).toBe(pushed.config.digest);
  expect(stored.layerDigests).toEqual(pushed.layers.map((l) => l.digest));
  expect(stored.diffIds).toEqual(pushed.layers.map((l) => l.diffId));
}

/** The pushed image manifest for an architecture (the only one, for a single-platform image). */
export function manifestFor(image: FixtureImage, architecture?: string): ImageManifest {
  const found = architecture
    ? image.manifests.find((m) => m.platform.architecture === architecture)
    : image.manifests[0];
  if (!found) throw new Error(`${image.repository} has no ${architecture} image`);
  return found;
}
