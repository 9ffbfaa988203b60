/** The guide in Chinese (README.zh-CN.md's 使用, 验证 and 故障排查, for one host). 镜像站 is the mirror, 镜像 an image. */
import type { Words } from "./words";

export const CHINESE: Words = {
  htmlLang: "zh-CN",
  other: { query: "?lang=en", hreflang: "en", label: "English" },
  title: (host) => `${host} · 镜像加速器`,
  tag: "镜像加速器",
  lede: (others) =>
    `Docker Hub 及另外 ${others} 个镜像仓库的镜像站。在容器运行时中配置一次即可，镜像名保持不变。下面每段配置都可以直接粘贴。`,
  sectionsLabel: "目录",
  copy: "复制",
  copied: "已复制",
  selectIt: "请手动选择",
  copyOf: (label) => `复制 ${label}`,
  login: {
    title: "请先登录",
    before: "这个镜像站只为它的用户服务。用镜像站所有者给你的账号登录：",
    after: (host) =>
      `podman、buildah 和 skopeo 的登录方式相同（\`podman login ${host}\`）；containerd 和 k3s 节点在各自的配置中填写账号（见下文）。`,
  },
  docker: {
    title: "Docker",
    daemon: "Docker Engine（Linux）：把镜像站加入守护进程配置（如果已有这个文件，请合并进去）：",
    restart: "重启 Docker。此后拉取 Docker Hub 的镜像都会经过镜像站，镜像名不变：",
    pull: "也可以在镜像名中写明镜像站，下表中的每个仓库都适用：",
    desktop: (origin) =>
      `Docker Desktop（Windows、macOS）：Settings → Docker Engine，在 JSON 中加入 \`"registry-mirrors": ["${origin}"]\`，然后点击 Apply & restart。`,
    synology: (origin) =>
      `群晖 Synology（DSM 7.2，Container Manager）：注册表 → 设置 → Docker Hub → 编辑 → 勾选启用注册表镜像 → 添加 \`${origin}\` → 保存。`,
    after: "Docker 只对 Docker Hub 的镜像使用 registry-mirrors；其他仓库的镜像需要在名字中写明镜像站。",
  },
  containerd: {
    title: "containerd",
    dockerHub: "containerd、nerdctl 以及基于它们的 Kubernetes 节点按仓库各读取一个文件。让 Docker Hub 经过镜像站：",
    everyRegistry:
      "一次配置所有仓库：containerd 发给 mirror 的每个请求都带有 `?ns=<registry>`，镜像站据此路由。它不代理的仓库返回 404，containerd 随后直接从该仓库拉取。",
    after:
      '只有在 /etc/containerd/config.toml 的 registry 一节中设置了 `config_path = "/etc/containerd/certs.d"`，containerd 才会读取这些文件（nerdctl 总会读取；ctr 需要加 `--hosts-dir /etc/containerd/certs.d`）。containerd 每次拉取都会重新读取它们，所以修改不需要重启；在 config.toml 中新加 `config_path` 则需要重启一次 containerd。',
    login: "hosts.toml 无法携带凭据。在 /etc/containerd/config.toml 中写入镜像站的账号，然后重启 containerd：",
    loginAfter: (host) =>
      `containerd 2.x：写在 \`[plugins."io.containerd.cri.v1.images".registry.configs."${host}".auth]\` 下，内容相同。对于在名字中写明镜像站的镜像，也可以用 Kubernetes 的镜像拉取密钥：\`kubectl create secret docker-registry edgehub --docker-server=${host} --docker-username=USER --docker-password=PASSWORD\`，并在 Pod 的 imagePullSecrets 中引用。`,
  },
  kubernetes: {
    title: "Kubernetes",
    k3s: 'k3s：在每个 server 和 agent 节点上编辑，然后执行 `sudo systemctl restart k3s`（或 `k3s-agent`）。`"*"` 条目让所有仓库都经过镜像站，按 `?ns=` 路由：',
    kind: "kind：让集群节点为每个仓库读取 hosts.toml（与 containerd 相同的 `_default` 文件）：",
    image: "任何集群，不配置节点：在镜像名中写明镜像站。",
    after: "其他运行 containerd 的节点（kubeadm、EKS、GKE 镜像）使用上面 containerd 的文件。",
  },
  podman: {
    title: "Podman",
    before:
      "podman、buildah、skopeo 和 CRI-O 读取 /etc/containers/registries.conf（rootless podman 还会读取 ~/.config/containers/registries.conf）。加入：",
    after: (location, registry) =>
      `其他仓库再加一段，写上它的 prefix 和镜像站的路径前缀 location，例如 ${registry} 用 \`location = "${location}"\`。`,
  },
  search: {
    title: "搜索",
    before: "在搜索词中写明镜像站，docker search 就会经过镜像站查询 Docker Hub：",
  },
  verify: {
    title: "验证",
    before: "Docker 读取 daemon.json 后会列出镜像站；同一镜像第二次拉取由缓存提供：",
    after: "X-Cache 第一次为 MISS，之后为 HIT（标签重新检查后为 REVALIDATED）。",
  },
  troubleshoot: {
    title: "故障排查",
    rateLimited:
      "`toomanyrequests` 或 429：Docker Hub 限制了镜像站的出口地址，备用仓库中也没有这个镜像；镜像站所有者可以改用 Docker Hub 账号拉取。",
    unauthorized: "`unauthorized`：用镜像站所有者给你的账号登录镜像站，而不是你的 Docker Hub 账号。",
    certificate: (origin) => `\`x509\` 错误，或客户端要求配置 insecure registry：镜像站地址请严格写成 \`${origin}\`。`,
    direct:
      "containerd 或 Kubernetes 直接从 docker.io 拉取：containerd 配置中缺少 `config_path`，或添加后没有重启 containerd。",
    blocked:
      "访问 *.workers.dev 地址时超时或 `connection reset`：当前网络屏蔽了 workers.dev（整个中国大陆）；镜像站需要使用自己的域名。",
    slow: "镜像第一次拉取很慢、之后很快：第一次拉取会填充缓存。",
    broken: "每次拉取都返回 500：镜像站配置有误；所有者打开这个地址就能看到是哪个变量。",
  },
  registries: {
    title: "镜像仓库",
    intro: "把仓库的主机名写在镜像名的第一段，或由 containerd 的 `?ns=` 选择仓库。",
    subdomains: "有独立主机名的仓库也可以直接用该主机名访问，不需要前缀；它的私有镜像要在该主机名上登录。",
    registry: "仓库",
    name: "经由本镜像站的镜像名",
    defaultRoute: "默认路由",
    searchable: "可搜索",
    also: (hosts) => `也可用 ${hosts}`,
    fallsBackTo: (hosts) => `备用镜像站：${hosts.replaceAll(", then ", " → ")}`,
    quota: ({ count, limit, window, owner, at }) =>
      `最近一次看到的配额：${count ? `剩余 ${count.replace(" of ", " / ")}` : `上限 ${limit}`}${window ? `（每 ${window}）` : ""}，${owner ? "计入所有者的账号" : "匿名，按出口 IP 计数，而边缘节点的出口 IP 会变化"}，时间 ${at}`,
  },
  footer: (version) => `edgehub ${version} · 只读镜像站：不接受推送。`,
};
