/**
 * A second registry behind the mirror, like ghcr.io: its own token service (signing key, issuer, service name), its
 * own CDN, its own accounts, and a realm the Worker has to learn. Every way a client can name it is pulled with every
 * client that can: the `ghcr.mirror.test` subdomain, the `mirror.test/ghcr.io/…` path prefix, and containerd's
 * `?ns=ghcr.io`; public and private; every stored digest compared with what was pushed.
 * skopeo and podman reuse the bare host's Docker Hub realm for prefixed repositories, so `/token` routes their token
 * requests by the scope's registry prefix; a client's credentials go only to the registry its host names (#14).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as containerd from "./clients/containerd";
import * as dockerd from "./clients/dockerd";
import * as podman from "./clients/podman";
import * as skopeo from "./clients/skopeo";
import { containerdForSuite } from "./support/containerd-suite";
import { expectSameImage, manifestFor } from "./support/expect-image";
import { namesSkipReason, UNKNOWN_SUBDOMAIN } from "./support/names";
import { requires, stackSkipReason } from "./support/prerequisites";
import { type Stack, startStack } from "./support/stack";
import { decodeClaims, type FixtureImage, fetchToken, type SecondUpstream } from "./upstream";

const needs = [stackSkipReason(), namesSkipReason()];
const skips = {
  skopeo: requires("the second registry through skopeo", skopeo.skipReason(), ...needs),
  podman: requires("the second registry through podman", podman.skipReason(), ...needs),
  containerd: requires("the second registry through containerd", containerd.skipReason(), ...needs),
  dockerd: requires("the second registry through dockerd", dockerd.skipReason(), ...needs),
};
const ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

let stack: Stack;
let second: SecondUpstream;

beforeAll(async () => {
  if (Object.values(skips).every((reason) => reason !== null)) return;
  stack = await startStack("second-registry", { second: true, dnsNames: [UNKNOWN_SUBDOMAIN] });
  second = stack.second!;
});
beforeEach(() => {
  stack?.upstream.resetLog();
  second?.resetLog();
});
afterAll(async () => {
  await stack?.stop();
});

/** Client options reaching the Worker by this name (`stack.names.bare` or `.ghcr`). */
const via = (mirror: string) => ({ mirror, caCertPath: stack.caCertPath, workDir: stack.workDir });
const reference = (image: FixtureImage) => `${image.repository}:${image.tag}`;
/** The usernames a token service was asked to authenticate (HTTP Basic or the OAuth2 form). */
const tokenLogins = (upstream: Pick<SecondUpstream, "log">) =>
  upstream.log().flatMap((e) => (e.server === "token" && e.login !== undefined ? [e.login] : []));

describe.skipIf(skips.skopeo)("the second registry's own token service", () => {
  /** A manifest GET straight at a registry (not through the Worker) with a bearer token. */
  const getManifest = (registryUrl: string, image: FixtureImage, token: string) =>
    fetch(`${registryUrl}/v2/${image.repository}/manifests/${image.tag}`, {
      headers: { authorization: `Bearer ${token}`, accept: ACCEPT },
    });

  it("refuses a token from the Docker Hub imitation as invalid, and accepts its own for the same scope", async () => {
    const tool = second.images.tool;
    const hubToken = await fetchToken(stack.upstream, [`repository:${tool.repository}:pull`]);
    expect(decodeClaims(hubToken)).toMatchObject({ iss: stack.upstream.issuer, aud: stack.upstream.service });
    const refused = await getManifest(second.registryUrl, tool, hubToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    const ownToken = await fetchToken(second, [`repository:${tool.repository}:pull`]);
    expect(decodeClaims(ownToken)).toMatchObject({ iss: second.issuer, aud: second.service });
    const accepted = await getManifest(second.registryUrl, tool, ownToken);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get("docker-content-digest")).toBe(tool.digest);
  });

  it("and the Docker Hub imitation refuses the second registry's token", async () => {
    const alpine = stack.upstream.images.alpine;
    const ghcrToken = await fetchToken(second, [`repository:${alpine.repository}:pull`]);
    const refused = await getManifest(stack.upstream.registryUrl, alpine, ghcrToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("names its own realm and service in its challenge, which the Worker is not told", async () => {
    const challenge = (await fetch(`${second.registryUrl}/v2/`)).headers.get("www-authenticate");
    expect(challenge).toBe(`Bearer realm="${second.realmUrl}",service="${second.service}"`);
    expect(second.realmUrl).not.toBe(stack.upstream.realmUrl);
  });
});

describe.skipIf(skips.skopeo)("skopeo", () => {
  it("copies the public multi-layer image from the ghcr subdomain, every blob verified", async () => {
    const tool = second.images.tool;
    const result = await skopeo.copy({ ...via(stack.names.ghcr), reference: reference(tool) });
    expectSameImage(result.images[0]!, manifestFor(tool));
    expect(
      second
        .log()
        .filter((e) => e.server === "cdn")
        .every((e) => !e.authorization),
    ).toBe(true);
  });

  it("copies the private image from the ghcr subdomain with that registry's own credentials, which only its token service sees", async () => {
    const secret = second.images.secret;
    const result = await skopeo.copy({
      ...via(stack.names.ghcr),
      reference: reference(secret),
      creds: second.users.tester,
    });
    expectSameImage(result.images[0]!, manifestFor(secret));
    expect(tokenLogins(second)).toContain(second.users.tester.username);
    expect(stack.upstream.log()).toEqual([]);
  });

  it("refuses the private image on the ghcr subdomain without credentials", async () => {
    const secret = second.images.secret;
    const failure = await skopeo.copy({ ...via(stack.names.ghcr), reference: reference(secret) }).then(
      () => "",
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/unauthorized|denied|authentication required/i);
    expect(second.log().filter((e) => e.server === "cdn")).toEqual([]);
  });

  it("copies the public image by path prefix (mirror.test/ghcr.io/acme/tool): /token follows the scope's prefix to ghcr's realm", async () => {
    const tool = second.images.tool;
    const result = await skopeo.copy({ ...via(stack.names.bare), reference: `ghcr.io/${reference(tool)}` });
    expectSameImage(result.images[0]!, manifestFor(tool));
  });

  it("copies it by path prefix through a workers.dev-shaped host (edgehub.<account>.workers.dev: a first label that names no route), as the default deploy serves it", async () => {
    const tool = second.images.tool;
    const port = stack.names.bare.slice(stack.names.bare.lastIndexOf(":") + 1);
    const result = await skopeo.copy({
      ...via(`${UNKNOWN_SUBDOMAIN}:${port}`),
      reference: `ghcr.io/${reference(tool)}`,
    });
    expectSameImage(result.images[0]!, manifestFor(tool));
  });

  it("by path prefix with Docker Hub credentials, pulls the public image and ghcr's token service never sees them", async () => {
    const tool = second.images.tool;
    const result = await skopeo.copy({
      ...via(stack.names.bare),
      reference: `ghcr.io/${reference(tool)}`,
      creds: stack.upstream.users.tester,
    });
    expectSameImage(result.images[0]!, manifestFor(tool));
    expect(tokenLogins(second)).toEqual([]);
  });
});

describe.skipIf(skips.podman)("podman", () => {
  /** podman reports digest, config and diff IDs, not layer digests. */
  const expectPulled = (result: podman.PodmanResult, image: FixtureImage) => {
    expect(result.digest).toBe(image.digest);
    expect(result.configDigest).toBe(manifestFor(image).config.digest);
    expect(result.diffIds).toEqual(manifestFor(image).layers.map((l) => l.diffId));
  };

  it("pulls ghcr.io/acme/tool through a registries.conf mirror on the ghcr subdomain", async () => {
    const tool = second.images.tool;
    expectPulled(
      await podman.pull({ ...via(stack.names.ghcr), registry: "ghcr.io", reference: `ghcr.io/${reference(tool)}` }),
      tool,
    );
  });

  it("pulls the private image on the ghcr subdomain with that registry's credentials", async () => {
    const secret = second.images.secret;
    const result = await podman.pull({
      ...via(stack.names.ghcr),
      registry: "ghcr.io",
      reference: `ghcr.io/${reference(secret)}`,
      creds: second.users.tester,
    });
    expectPulled(result, secret);
    expect(stack.upstream.log()).toEqual([]);
  });

  it("pulls through a mirror location with the path prefix (mirror.test/ghcr.io): /token follows the scope's prefix", async () => {
    const tool = second.images.tool;
    const result = await podman.pull({
      ...via(stack.names.bare),
      registry: "ghcr.io",
      mirrorPath: "ghcr.io",
      reference: `ghcr.io/${reference(tool)}`,
    });
    expectPulled(result, tool);
  });
});

describe.skipIf(skips.containerd)("containerd", () => {
  const daemon = containerdForSuite(() => stack.workDir);

  it("pulls through a ghcr.io hosts.toml on the bare domain, which sends ?ns=ghcr.io", async () => {
    const tool = second.images.tool;
    const result = await containerd.pullWith(daemon(), {
      ...via(stack.names.bare),
      hostsNamespace: "ghcr.io",
      reference: `ghcr.io/${reference(tool)}`,
    });
    expect(result.digest).toBe(tool.digest);
    expectSameImage(result.images[0]!, manifestFor(tool));
  });

  it("pulls the private image with ?ns=ghcr.io on the ghcr subdomain with that registry's credentials", async () => {
    const secret = second.images.secret;
    const result = await containerd.pullWith(daemon(), {
      ...via(stack.names.ghcr),
      hostsNamespace: "ghcr.io",
      reference: `ghcr.io/${reference(secret)}`,
      creds: second.users.tester,
    });
    expectSameImage(result.images[0]!, manifestFor(secret));
    expect(stack.upstream.log()).toEqual([]);
  });

  // A public image would not do: the Worker serves what it has cached for everyone without a challenge, so the
  // client would never log in. The private image makes it log in, and must be refused before and after #14.
  it("with Docker Hub credentials on ?ns=ghcr.io: the private image is refused and ghcr's token service never sees them", async () => {
    const secret = second.images.secret;
    const pulled = containerd.pullWith(daemon(), {
      ...via(stack.names.bare),
      hostsNamespace: "ghcr.io",
      reference: `ghcr.io/${reference(secret)}`,
      creds: stack.upstream.users.tester,
    });
    await expect(pulled).rejects.toThrow(/401|unauthorized|authorization failed/i);
    expect(tokenLogins(second)).toEqual([]);
  });
});

describe.skipIf(skips.dockerd)("dockerd", () => {
  let daemon: dockerd.Dockerd;
  beforeAll(async () => {
    daemon = await dockerd.startDockerd({
      ...via(stack.names.bare),
      logins: { [stack.names.ghcr]: second.users.tester },
    });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  /** dockerd reports the manifest digest, the config digest (image ID) and diff IDs. */
  const expectPulled = (result: dockerd.DockerPullResult, image: FixtureImage) => {
    expect(result.digest).toBe(image.digest);
    expect(result.configDigest).toBe(manifestFor(image).config.digest);
    expect(result.diffIds).toEqual(manifestFor(image).layers.map((l) => l.diffId));
  };

  it("docker pull ghcr.mirror.test:PORT/acme/tool pulls the public image from the subdomain", async () => {
    expectPulled(await daemon.pull(`${stack.names.ghcr}/${reference(second.images.tool)}`), second.images.tool);
  });

  it("docker pull of the private image on the subdomain uses the login stored for it", async () => {
    expectPulled(await daemon.pull(`${stack.names.ghcr}/${reference(second.images.secret)}`), second.images.secret);
    expect(tokenLogins(second)).toContain(second.users.tester.username);
    expect(stack.upstream.log()).toEqual([]);
  });

  it("docker pull mirror.test:PORT/ghcr.io/acme/tool (path prefix)", async () => {
    expectPulled(await daemon.pull(`${stack.names.bare}/ghcr.io/${reference(second.images.tool)}`), second.images.tool);
  });
});
