/**
 * The guide's sections for one site, in one language: the same clients, in the same order, as README.md's "Use it",
 * then "Verify" and "Troubleshoot". Sources: Docker's registry-mirrors, containerd docs/hosts.md (`_default`, the
 * `?ns=` it adds to mirror requests, and that hosts.toml is read per pull), containerd docs/cri/registry.md (the
 * `configs.<host>.auth` credentials), k3s registries.yaml (the `"*"` wildcard mirror), kind's local-registry guide
 * (config_path plus hosts.toml), containers-registries.conf(5).
 */
import {
  dockerSection,
  loginSection,
  podmanSection,
  searchSection,
  troubleshootSection,
  verifySection,
} from "./clients";
import { containerdSection, kubernetesSection } from "./nodes";
import type { Site } from "./site";
import type { Section } from "./snippets";
import type { Words } from "./words";

/** Builds every section for this site. */
export function buildSections(site: Site, words: Words): Section[] {
  const sections = [
    dockerSection(site, words),
    containerdSection(site, words),
    kubernetesSection(site, words),
    podmanSection(site, words),
  ];
  if (site.routes.some((r) => r.isDefault && r.searchable)) sections.push(searchSection(site, words));
  sections.push(verifySection(site, words), troubleshootSection(site, words));
  if (site.login) sections.unshift(loginSection(site, words));
  return sections;
}
