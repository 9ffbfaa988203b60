/** A containerd shared by the tests of one describe block: started before them, stopped after them. */
import { afterAll, beforeAll } from "vitest";
import { type Containerd, startContainerd } from "../clients/containerd";

/** Registers the hooks; the returned function gives the running daemon inside a test. */
export function containerdForSuite(workDir: () => string): () => Containerd {
  let daemon: Containerd | undefined;
  beforeAll(async () => {
    daemon = await startContainerd({ workDir: workDir() });
  });
  afterAll(async () => {
    await daemon?.stop();
  });
  return () => {
    if (daemon === undefined) throw new Error("containerd is not running (its beforeAll failed)");
    return daemon;
  };
}
