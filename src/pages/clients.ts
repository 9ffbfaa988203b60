/** The guide's sections for single machines (Docker, podman), and its login, search, verify and troubleshoot parts. */
import type { Site } from "./site";
import { exampleRegistry, file, type Section, shell } from "./snippets";
import type { Words } from "./words";

/** What to do first when the mirror has users. */
export function loginSection(site: Site, words: Words): Section {
  return {
    id: "login",
    title: words.login.title,
    callout: true,
    steps: [{ before: words.login.before, snippet: shell("login", `docker login ${site.host}`) }],
    after: words.login.after(site.host),
  };
}

/** Docker Engine, Docker Desktop and Synology: one registry-mirrors setting in three places. */
export function dockerSection(site: Site, words: Words): Section {
  const daemon = site.secure
    ? `{\n  "registry-mirrors": ["${site.origin}"]\n}`
    : `{\n  "registry-mirrors": ["${site.origin}"],\n  "insecure-registries": ["${site.host}"]\n}`;
  const direct = `docker pull ${site.host}/library/nginx\ndocker pull ${site.host}/${exampleRegistry(site)}/OWNER/IMAGE`;
  return {
    id: "docker",
    title: words.docker.title,
    steps: [
      { before: words.docker.daemon, snippet: file("docker-daemon", "/etc/docker/daemon.json", daemon) },
      {
        before: words.docker.restart,
        snippet: shell("docker-restart", `sudo systemctl restart docker\ndocker pull nginx   # → ${site.host}`),
      },
      { before: words.docker.pull, snippet: shell("docker-pull", direct) },
      { before: words.docker.desktop(site.origin) },
      { before: words.docker.synology(site.origin) },
    ],
    after: words.docker.after,
  };
}

/** podman, buildah, skopeo and CRI-O. */
export function podmanSection(site: Site, words: Words): Section {
  const insecure = site.secure ? "" : "\ninsecure = true";
  const conf = `[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "${site.host}"${insecure}`;
  const registry = exampleRegistry(site);
  return {
    id: "podman",
    title: words.podman.title,
    steps: [{ before: words.podman.before, snippet: file("podman", "/etc/containers/registries.conf", conf) }],
    after: words.podman.after(`${site.host}/${registry}`, registry),
  };
}

/** docker search through the mirror (only where the default route has an index). */
export function searchSection(site: Site, words: Words): Section {
  return {
    id: "search",
    title: words.search.title,
    steps: [{ before: words.search.before, snippet: shell("search", `docker search ${site.host}/nginx`) }],
  };
}

/** How to see that pulls go through the mirror and its cache. */
export function verifySection(site: Site, words: Words): Section {
  const commands = [
    "docker info | grep -A1 'Registry Mirrors'",
    "docker pull alpine && docker rmi alpine && docker pull alpine",
    `curl -sI -H 'Accept: application/vnd.oci.image.index.v1+json' ${site.origin}/v2/library/alpine/manifests/latest | grep -i x-cache`,
  ].join("\n");
  return {
    id: "verify",
    title: words.verify.title,
    steps: [{ before: words.verify.before, snippet: shell("verify", commands) }],
    after: words.verify.after,
  };
}

/** What a user of the mirror sees when something is wrong, and what it means. */
export function troubleshootSection(site: Site, words: Words): Section {
  const t = words.troubleshoot;
  const items = [t.rateLimited, t.certificate(site.origin), t.direct, t.slow, t.broken];
  if (site.login) items.splice(1, 0, t.unauthorized);
  if (site.host.split(":")[0]?.endsWith(".workers.dev")) items.push(t.blocked);
  return { id: "troubleshoot", title: t.title, steps: [], items };
}
