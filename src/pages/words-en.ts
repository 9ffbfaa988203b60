/** The guide in English (README.md's "Use it", "Verify" and "Troubleshoot", for one host). */
import type { Words } from "./words";

export const ENGLISH: Words = {
  htmlLang: "en",
  other: { query: "?lang=zh", hreflang: "zh-CN", label: "中文" },
  title: (host) => `${host} · registry mirror`,
  tag: "Registry mirror",
  lede: (others) =>
    `A pull-through mirror of Docker Hub and ${others} other registr${others === 1 ? "y" : "ies"}. Point your container runtime at it once; image names stay the same. Every snippet below is ready to paste.`,
  sectionsLabel: "Sections",
  copy: "Copy",
  copied: "Copied",
  selectIt: "Select it",
  copyOf: (label) => `Copy ${label}`,
  login: {
    title: "Log in first",
    before: "This mirror only serves its users. Log in with the account its owner gave you:",
    after: (host) =>
      `podman, buildah and skopeo log in the same way (\`podman login ${host}\`); containerd and k3s nodes take the account in their configuration (below).`,
  },
  docker: {
    title: "Docker",
    daemon:
      "Docker Engine (Linux): add the mirror to the daemon configuration (merge it into the file if you already have one):",
    restart: "Restart Docker. Pulls of Docker Hub images then go through the mirror, with no change to image names:",
    pull: "Or name the mirror in the image, which works for every registry in the table below:",
    desktop: (origin) =>
      `Docker Desktop (Windows, macOS): Settings → Docker Engine, add \`"registry-mirrors": ["${origin}"]\` to the JSON, then Apply & restart.`,
    synology: (origin) =>
      `Synology (DSM 7.2, Container Manager): Registry → Settings → Docker Hub → Edit → tick Enable registry mirror → add \`${origin}\` → Save.`,
    after:
      "Docker uses registry-mirrors for Docker Hub images only; images of other registries need the mirror in their name.",
  },
  containerd: {
    title: "containerd",
    dockerHub:
      "containerd, nerdctl and the Kubernetes nodes built on them read one file per registry. Docker Hub through the mirror:",
    everyRegistry:
      "Every registry at once: containerd adds `?ns=<registry>` to each request it sends a mirror, and this mirror routes on it. Registries it does not serve answer 404, and containerd then pulls from them directly.",
    after:
      'containerd reads these files when `config_path = "/etc/containerd/certs.d"` is set in the registry section of /etc/containerd/config.toml (nerdctl reads them anyway; for ctr pass `--hosts-dir /etc/containerd/certs.d`). It reads them again on every pull, so editing them needs no restart; adding `config_path` to config.toml needs one restart of containerd.',
    login:
      "hosts.toml cannot carry credentials. Give containerd the mirror's account in /etc/containerd/config.toml, then restart containerd:",
    loginAfter: (host) =>
      `containerd 2.x: the same under \`[plugins."io.containerd.cri.v1.images".registry.configs."${host}".auth]\`. Or, for images named through the mirror, a Kubernetes image pull secret: \`kubectl create secret docker-registry edgehub --docker-server=${host} --docker-username=USER --docker-password=PASSWORD\`, named in the pod's imagePullSecrets.`,
  },
  kubernetes: {
    title: "Kubernetes",
    k3s: 'k3s: on every server and agent node, then `sudo systemctl restart k3s` (or `k3s-agent`). The `"*"` entry sends every registry through the mirror, routed by `?ns=`:',
    kind: "kind: a cluster whose nodes read a hosts.toml for every registry (the same `_default` file as for containerd):",
    image: "Any cluster, with no node configuration: name the mirror in the image.",
    after: "Other nodes that run containerd (kubeadm, EKS, GKE images) take the containerd files above.",
  },
  podman: {
    title: "Podman",
    before:
      "podman, buildah, skopeo and CRI-O read /etc/containers/registries.conf (rootless podman also ~/.config/containers/registries.conf). Add:",
    after: (location, registry) =>
      `For another registry, add a block with its prefix and the mirror's path-prefix location, e.g. \`location = "${location}"\` for ${registry}.`,
  },
  search: {
    title: "Search",
    before: "docker search asks Docker Hub through the mirror when you name the mirror in the term:",
  },
  verify: {
    title: "Verify",
    before:
      "Docker lists the mirror once it has read daemon.json; a second pull of the same image is answered from the cache:",
    after: "X-Cache is MISS the first time, HIT after (REVALIDATED once the tag is rechecked).",
  },
  troubleshoot: {
    title: "Troubleshoot",
    rateLimited:
      "`toomanyrequests` or 429: Docker Hub limits the addresses the mirror pulls from, and its fallbacks did not have the image; its owner can pull with a Docker Hub account.",
    unauthorized:
      "`unauthorized`: log in to the mirror with the account its owner gave you, not with your Docker Hub account.",
    certificate: (origin) =>
      `\`x509\` errors, or a client asking for an insecure registry: write the mirror exactly as \`${origin}\`.`,
    direct:
      "containerd or Kubernetes pulls straight from docker.io: `config_path` is missing from containerd's config, or containerd was not restarted after it was added.",
    blocked:
      "Timeouts or `connection reset` on a *.workers.dev address: the network blocks workers.dev (all of mainland China); the mirror needs a domain of its own.",
    slow: "The first pull of an image is slow, the next fast: the first one fills the cache.",
    broken: "Every pull fails with 500: the mirror is misconfigured; its owner sees which variable at this address.",
  },
  registries: {
    title: "Registries",
    intro: "Name a registry by its host as the first part of the image name, or let containerd's `?ns=` choose it.",
    subdomains:
      "A registry with a host of its own also answers there, without the prefix; a login for its private images goes to that host.",
    registry: "Registry",
    name: "Image name through this mirror",
    defaultRoute: "default route",
    searchable: "searchable",
    also: (hosts) => `also ${hosts}`,
    fallsBackTo: (hosts) => `falls back to ${hosts}`,
    quota: ({ count, limit, window, owner, at }) =>
      `quota last seen: ${count ? `${count} left` : `limit ${limit}`}${window ? ` per ${window}` : ""} (${owner ? "the owner's account" : "anonymous, counted per egress IP, which varies at the edge"}) at ${at}`,
  },
  footer: (version) => `edgehub ${version} · pull-only: pushes are refused.`,
};
