/**
 * Every sentence of the guide, one table per language. Both tables are typed by `Words`, so a sentence added to one
 * language and forgotten in the other fails the type check; the snippets themselves are the same in every language
 * (`test/worker/pages/languages.test.ts`). Sentences are plain text whose `backtick` spans become code.
 */
/** What the guide says, in one language. */
export interface Words {
  /** The `lang` attribute of the page. */
  htmlLang: string;
  /** The link to the other language. */
  other: { query: string; hreflang: string; label: string };
  title: (host: string) => string;
  tag: string;
  lede: (others: number) => string;
  sectionsLabel: string;
  copy: string;
  copied: string;
  selectIt: string;
  copyOf: (label: string) => string;
  login: { title: string; before: string; after: (host: string) => string };
  docker: {
    title: string;
    daemon: string;
    restart: string;
    pull: string;
    desktop: (origin: string) => string;
    synology: (origin: string) => string;
    after: string;
  };
  containerd: {
    title: string;
    dockerHub: string;
    everyRegistry: string;
    after: string;
    login: string;
    loginAfter: (host: string) => string;
  };
  kubernetes: { title: string; k3s: string; kind: string; image: string; after: string };
  podman: { title: string; before: string; after: (location: string, registry: string) => string };
  search: { title: string; before: string };
  verify: { title: string; before: string; after: string };
  troubleshoot: {
    title: string;
    rateLimited: string;
    unauthorized: string;
    certificate: (origin: string) => string;
    direct: string;
    blocked: string;
    slow: string;
    broken: string;
  };
  registries: {
    title: string;
    intro: string;
    subdomains: string;
    registry: string;
    name: string;
    defaultRoute: string;
    searchable: string;
    also: (hosts: string) => string;
    fallsBackTo: (hosts: string) => string;
    /** The quota a registry last stated: `count` is "76 of 100" or "76" (remaining) or undefined (limit only). */
    quota: (seen: { count: string; limit: string; window: string | undefined; owner: boolean; at: string }) => string;
  };
  footer: (version: string) => string;
}
