/**
 * The copy-ready configuration for each client, with this mirror's real host filled in. Plain text; the guide
 * escapes it. Sources: Docker's registry-mirrors, containerd docs/hosts.md (`_default`, and the `?ns=` it adds to
 * mirror requests), k3s registries.yaml (the `"*"` wildcard mirror), kind's local-registry guide (config_path plus
 * hosts.toml), containers-registries.conf(5).
 */
import type { Site } from "./site";

/** One block a user pastes: a file's content or commands. */
export interface Snippet {
  id: string;
  /** The file it belongs in, or "shell" for commands. */
  label: string;
  text: string;
}

/** The guide's sections, each an introduction and snippets with a sentence before each. */
export interface Section {
  id: string;
  title: string;
  steps: { before: string; snippet: Snippet }[];
  /** Plain-text note after the snippets (the guide escapes it and renders `code` spans from backticks). */
  after?: string;
  /** Set off from the rest: something to do before anything else works. */
  callout?: boolean;
}

/** Builds every section for this site. */
export function buildSections(site: Site): Section[] {
  const sections = [dockerSection(site), containerdSection(site), kubernetesSection(site), podmanSection(site)];
  if (site.routes.some((r) => r.isDefault && r.searchable)) sections.push(searchSection(site));
  if (site.login) sections.unshift(loginSection(site));
  return sections;
}

function loginSection(site: Site): Section {
  return {
    id: "login",
    title: "Log in first",
    callout: true,
    steps: [
      {
        before: "This mirror only serves its users. Log in with the account its owner gave you:",
        snippet: shell("login", `docker login ${site.host}`),
      },
    ],
    after: `podman, buildah and skopeo log in the same way (\`podman login ${site.host}\`); k3s nodes take the account under \`configs\` in registries.yaml.`,
  };
}

function dockerSection(site: Site): Section {
  const daemon = site.secure
    ? `{\n  "registry-mirrors": ["${site.origin}"]\n}`
    : `{\n  "registry-mirrors": ["${site.origin}"],\n  "insecure-registries": ["${site.host}"]\n}`;
  const direct = `docker pull ${site.host}/library/nginx\ndocker pull ${site.host}/${exampleRegistry(site)}/OWNER/IMAGE`;
  return {
    id: "docker",
    title: "Docker",
    steps: [
      {
        before: "Add the mirror to the daemon configuration (merge it into the file if you already have one):",
        snippet: file("docker-daemon", "/etc/docker/daemon.json", daemon),
      },
      {
        before: "Restart Docker. Pulls of Docker Hub images then go through the mirror, with no change to image names:",
        snippet: shell(
          "docker-restart",
          `sudo systemctl restart docker\ndocker pull nginx   # now served by ${site.host}`,
        ),
      },
      {
        before: "Or name the mirror in the image, which works for every registry in the table below:",
        snippet: shell("docker-pull", direct),
      },
    ],
    after:
      "Docker uses registry-mirrors for Docker Hub images only; images of other registries need the mirror in their name.",
  };
}

function containerdSection(site: Site): Section {
  const host = `[host."${site.origin}"]\n  capabilities = ["pull", "resolve"]`;
  return {
    id: "containerd",
    title: "containerd",
    steps: [
      {
        before:
          "containerd, nerdctl and the Kubernetes nodes built on them read one file per registry. Docker Hub through the mirror:",
        snippet: file(
          "containerd-docker",
          "/etc/containerd/certs.d/docker.io/hosts.toml",
          `server = "https://registry-1.docker.io"\n\n${host}`,
        ),
      },
      {
        before:
          "Every registry at once: containerd adds `?ns=<registry>` to each request it sends a mirror, and this mirror routes on it. Registries it does not serve answer 404, and containerd then pulls from them directly.",
        snippet: file("containerd-default", "/etc/containerd/certs.d/_default/hosts.toml", host),
      },
    ],
    after:
      'containerd reads these files when `config_path = "/etc/containerd/certs.d"` is set in the registry section of /etc/containerd/config.toml (nerdctl reads them anyway; for ctr pass `--hosts-dir /etc/containerd/certs.d`). No restart is needed.',
  };
}

function kubernetesSection(site: Site): Section {
  const k3s = `mirrors:\n  docker.io:\n    endpoint:\n      - "${site.origin}"\n  "*":\n    endpoint:\n      - "${site.origin}"`;
  const k3sAuth = site.login
    ? `\nconfigs:\n  "${site.host}":\n    auth:\n      username: USER\n      password: PASSWORD`
    : "";
  const kind = [
    "mkdir -p kind-certs.d/_default",
    "cat > kind-certs.d/_default/hosts.toml <<'EOF'",
    `[host."${site.origin}"]`,
    '  capabilities = ["pull", "resolve"]',
    "EOF",
    "cat > kind.yaml <<EOF",
    "kind: Cluster",
    "apiVersion: kind.x-k8s.io/v1alpha4",
    "containerdConfigPatches:",
    "  - |-",
    '    [plugins."io.containerd.grpc.v1.cri".registry]',
    '      config_path = "/etc/containerd/certs.d"',
    "nodes:",
    "  - role: control-plane",
    "    extraMounts:",
    "      - hostPath: $PWD/kind-certs.d",
    "        containerPath: /etc/containerd/certs.d",
    "EOF",
    "kind create cluster --config kind.yaml",
  ].join("\n");
  return {
    id: "kubernetes",
    title: "Kubernetes",
    steps: [
      {
        before:
          'k3s: on every server and agent node, then `sudo systemctl restart k3s` (or `k3s-agent`). The `"*"` entry sends every registry through the mirror, routed by `?ns=`:',
        snippet: file("k3s", "/etc/rancher/k3s/registries.yaml", k3s + k3sAuth),
      },
      {
        before:
          "kind: a cluster whose nodes read a hosts.toml for every registry (the same `_default` file as for containerd):",
        snippet: shell("kind", kind),
      },
    ],
    after: "Other nodes that run containerd (kubeadm, EKS, GKE images) take the containerd files above.",
  };
}

function podmanSection(site: Site): Section {
  const insecure = site.secure ? "" : "\ninsecure = true";
  const conf = `[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n\n[[registry.mirror]]\nlocation = "${site.host}"${insecure}`;
  return {
    id: "podman",
    title: "Podman",
    steps: [
      {
        before:
          "podman, buildah, skopeo and CRI-O read /etc/containers/registries.conf (rootless podman also ~/.config/containers/registries.conf). Add:",
        snippet: file("podman", "/etc/containers/registries.conf", conf),
      },
    ],
    after: `For another registry, add a block with its prefix and the mirror's path-prefix location, e.g. \`location = "${site.host}/${exampleRegistry(site)}"\` for ${exampleRegistry(site)}.`,
  };
}

function searchSection(site: Site): Section {
  return {
    id: "search",
    title: "Search",
    steps: [
      {
        before: "docker search asks Docker Hub through the mirror when you name the mirror in the term:",
        snippet: shell("search", `docker search ${site.host}/nginx`),
      },
    ],
  };
}

/** A registry other than Docker Hub to show the path-prefix form with. */
function exampleRegistry(site: Site): string {
  return (
    site.routes.find((r) => r.name === "ghcr")?.registry ?? site.routes.find((r) => !r.isDefault)?.registry ?? "ghcr.io"
  );
}

function file(id: string, path: string, text: string): Snippet {
  return { id, label: path, text };
}

function shell(id: string, text: string): Snippet {
  return { id, label: "shell", text };
}
