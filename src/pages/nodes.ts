/** The guide's sections for containerd and the Kubernetes distributions built on it. */
import type { Site } from "./site";
import { exampleRegistry, file, type Section, type Step, shell } from "./snippets";
import type { Words } from "./words";

/** containerd's hosts.toml, and with mirror users the CRI credentials hosts.toml cannot hold. */
export function containerdSection(site: Site, words: Words): Section {
  const host = `[host."${site.origin}"]\n  capabilities = ["pull", "resolve"]`;
  const steps: Step[] = [
    {
      before: words.containerd.dockerHub,
      snippet: file(
        "containerd-docker",
        "/etc/containerd/certs.d/docker.io/hosts.toml",
        `server = "https://registry-1.docker.io"\n\n${host}`,
      ),
    },
    {
      before: words.containerd.everyRegistry,
      snippet: file("containerd-default", "/etc/containerd/certs.d/_default/hosts.toml", host),
    },
  ];
  const section: Section = { id: "containerd", title: words.containerd.title, steps, after: words.containerd.after };
  if (site.login) {
    const auth = `[plugins."io.containerd.grpc.v1.cri".registry.configs."${site.host}".auth]\n  username = "USER"\n  password = "PASSWORD"`;
    steps.push({
      before: words.containerd.login,
      snippet: file("containerd-auth", "/etc/containerd/config.toml", auth),
    });
    section.items = [words.containerd.loginAfter(site.host)];
  }
  return section;
}

/** k3s, kind, and image names that need no node configuration. */
export function kubernetesSection(site: Site, words: Words): Section {
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
  const images = `containers:\n  - name: web\n    image: ${site.host}/library/nginx:latest\n  - name: app\n    image: ${site.host}/${exampleRegistry(site)}/OWNER/IMAGE:TAG`;
  return {
    id: "kubernetes",
    title: words.kubernetes.title,
    steps: [
      { before: words.kubernetes.k3s, snippet: file("k3s", "/etc/rancher/k3s/registries.yaml", k3s + k3sAuth) },
      { before: words.kubernetes.kind, snippet: shell("kind", kind) },
      { before: words.kubernetes.image, snippet: file("kubernetes-image", "pod spec", images) },
    ],
    after: words.kubernetes.after,
  };
}
