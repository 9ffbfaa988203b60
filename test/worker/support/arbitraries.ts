/**
 * Generators for the property tests: the requests a registry client, a scanner or a broken proxy might send, and the
 * headers an upstream might answer with. Valid pieces are mixed with garbage so that both routing and rejection run.
 */
import fc from "fast-check";
import { expect } from "vitest";

/** Cases per property unless it says otherwise, from a fixed seed so a failure reproduces. */
export const PROPERTY_RUNS = 2_000;
/**
 * fast-check stops a property at this bound instead of running into the test timeout, so a slow run still gets a
 * report; checkProperty then fails it, because a run cut short proved less than it claims.
 */
const PROPERTY_TIME_LIMIT_MS = 20_000;
/** Test timeout for a property: its time bound plus the last case and shrinking. */
export const PROPERTY_TIMEOUT_MS = 30_000;

const HEX = "0123456789abcdef";
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: length, maxLength: length });
const REGISTRY_HOSTS = [
  "docker.io",
  "registry-1.docker.io",
  "index.docker.io",
  "ghcr.io",
  "quay.io",
  "gcr.io",
  "registry.k8s.io",
  "DOCKER.IO",
];

/** A path component in the OCI grammar. */
export const validComponent = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:\.|_|__|-{1,2})[a-z0-9]{1,4}){0,2}$/);
/** A tag in the OCI grammar. */
export const validTag = fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}$/);
/** A sha256 digest. */
export const validDigest = hex(64).map((h) => `sha256:${h}`);
/** A repository name in the OCI grammar, one to four components. */
export const validName = fc.array(validComponent, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/"));

/** Characters that make a component invalid while leaving the URL path as it is. */
const garbageComponent = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."aZ09._-+=:@!$&'()*,;~%"), maxLength: 12 }),
  fc.string({ maxLength: 8 }),
  fc.constantFrom("", ".", "..", "%2e%2e", "%2F", "%252e", "a%00b", "\\", "ü", "a..b", "-a", "a-", "A", "a__-b"),
);
const component = fc.oneof({ weight: 3, arbitrary: validComponent }, { weight: 1, arbitrary: garbageComponent });
const name = fc
  .tuple(
    fc.option(fc.constantFrom(...REGISTRY_HOSTS, "evil.example", "localhost:5000"), { nil: undefined }),
    fc.array(component, { minLength: 1, maxLength: 4 }),
  )
  .map(([prefix, parts]) => [...(prefix ? [prefix] : []), ...parts].join("/"));
/** A digest of an algorithm the image spec does not register (or of a registered one at the other's length). */
export const unregisteredDigest = fc.oneof(
  fc
    .tuple(fc.constantFrom("md5", "sha1", "sha384", "blake3", "sha256+b64u", "constructor", "__proto__"), hex(64))
    .map(([a, h]) => `${a}:${h}`),
  fc
    .tuple(
      fc.stringMatching(/^[a-z0-9]{1,8}$/).filter((a) => a !== "sha256" && a !== "sha512"),
      hex(32),
    )
    .map(([a, h]) => `${a}:${h}`),
  hex(64).map((h) => `sha512:${h}`),
  hex(128).map((h) => `sha256:${h}`),
);
const reference = fc.oneof(
  validTag,
  validDigest,
  garbageComponent,
  hex(64),
  unregisteredDigest,
  fc.constantFrom(`sha512:${"a".repeat(128)}`, `sha256:${"A".repeat(64)}`, "latest"),
);
const endpoint = fc.oneof(
  reference.map((r) => `manifests/${r}`),
  reference.map((r) => `blobs/${r}`),
  reference.map((r) => `referrers/${r}`),
  fc.constantFrom("tags/list", "blobs/uploads/", "blobs/uploads/abc", "manifests", "blobs", "_catalog", ""),
);

/** A request path: registry API shapes with valid and garbage parts, and anything else a URL can hold. */
export const anyPath = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(name, endpoint).map(([n, e]) => `/v2/${n}/${e}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("/", "/v2", "/v2/", "/token", "/v1/search", "/favicon.ico", "//v2/", "/v2/../token"),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/${s}`) },
  { weight: 1, arbitrary: fc.webPath() },
);

/** A Host header: the bare domain, route subdomains, unknown labels, IPs and ports. */
export const anyHost = fc.oneof(
  fc.constantFrom(
    "example.com",
    "localhost:8787",
    "127.0.0.1:8787",
    "[::1]:8787",
    "DOCKER.example.com",
    "xn--bcher-kva.example",
  ),
  fc
    .constantFrom(
      "docker",
      "quay",
      "gcr",
      "k8s-gcr",
      "k8s",
      "ghcr",
      "cloudsmith",
      "nvcr",
      "mcr",
      "elastic",
      "ecr",
      "unknown",
    )
    .map((l) => `${l}.example.com`),
  fc.domain(),
);

/** A media type as the referrers API's `artifactType` takes it (RFC 6838). */
const validMediaType = fc.stringMatching(/^[a-z0-9][a-z0-9.+-]{0,12}\/[a-z0-9][a-z0-9.+_-]{0,20}$/);
/** Values of the endpoints' own parameters, in their grammar. */
export const validEndpointParameter = fc.oneof(
  fc.tuple(fc.constant("n"), fc.integer({ min: 0, max: 10_000 }).map(String)),
  fc.tuple(fc.constant("last"), validTag),
  fc.tuple(fc.constant("artifactType"), validMediaType),
);
/** Values of the endpoints' own parameters outside their grammar. */
export const invalidEndpointParameter = fc.oneof(
  fc.tuple(
    fc.constant("n"),
    fc.oneof(
      fc.integer({ max: -1 }).map(String),
      fc.integer({ min: 10_001 }).map(String),
      fc.constantFrom("", "1e3", "0x10", "01", " 5", "5 ", "NaN", "1.5", "+1"),
    ),
  ),
  fc.tuple(
    fc.constant("last"),
    fc.oneof(
      fc.constantFrom("", "a".repeat(129), "a b"),
      validTag.map((t) => `.${t}`),
      validTag.map((t) => `${t}/x`),
    ),
  ),
  fc.tuple(
    fc.constant("artifactType"),
    fc.oneof(
      fc.constantFrom("", "text", "/json", "a/", "text/plain; charset=utf-8", "a/b/c", "é/x"),
      fc.string({ maxLength: 8 }).filter((t) => !t.includes("/")),
    ),
  ),
);
/** A Host header that is no host name: userinfo, a broken IPv6 literal, a port out of range, a space. */
export const malformedHost = fc.oneof(
  fc.constantFrom(
    "a@b.example",
    "@example.com",
    "example.com@",
    "user:pw@docker.example.com",
    "[::1",
    "example.com:99999",
    "ex ample.com",
    "a:b:c",
  ),
  fc.tuple(fc.domain(), fc.domain()).map(([a, b]) => `${a}@${b}`),
  fc.tuple(fc.domain(), fc.integer({ min: 65_536, max: 10_000_000 })).map(([d, port]) => `${d}:${port}`),
);

const queryValue = fc.oneof(fc.constantFrom(...REGISTRY_HOSTS, "evil.example", ""), fc.string({ maxLength: 12 }));
/** A query string, often with containerd's `ns`, sometimes with token and pagination parameters, valid or not. */
export const anyQuery = fc
  .array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.tuple(
          fc.constantFrom("ns", "n", "last", "scope", "service", "artifactType", "x", "NS"),
          queryValue,
        ),
      },
      { weight: 1, arbitrary: validEndpointParameter },
      { weight: 1, arbitrary: invalidEndpointParameter },
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&")}` : ""));

/** A token scope: well-formed ones of every type and naming, and garbage. */
export const anyScope = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("repository", "repository(plugin)", "registry", "Repository", ""),
      fc.oneof(
        validName,
        name,
        fc
          .tuple(fc.array(fc.constantFrom(...REGISTRY_HOSTS), { minLength: 1, maxLength: 2 }), validName)
          .map(([h, n]) => [...h, n].join("/")),
      ),
      fc.constantFrom("pull", "pull,push", "*", "", "delete"),
    )
    .map(([type, n, actions]) => `${type}:${n}:${actions}`),
  fc.string({ maxLength: 30 }),
);

/** A repository name that is invalid in the OCI grammar (and stays invalid after an optional registry prefix). */
export const invalidName = fc.oneof(
  fc.tuple(validName, fc.constantFrom("A", "Z")).map(([n, c]) => `${n}${c}`),
  fc.tuple(validName, fc.constantFrom("-", "_", ".")).map(([n, c]) => `${c}${n}`),
  fc.tuple(validName, fc.constantFrom("-", "_", ".")).map(([n, c]) => `${n}${c}`),
  fc
    .tuple(validComponent, validComponent, fc.constantFrom("_-", "___", "-_", "._", "_."))
    .map(([a, b, s]) => `${a}${s}${b}`),
  fc.tuple(validName, validName).map(([a, b]) => `${a}//${b}`),
  fc.constant("a".repeat(256)),
);
/** A manifest reference that is neither a valid tag nor a valid digest. */
export const invalidReference = fc.oneof(
  validTag.map((t) => `.${t}`),
  validTag.map((t) => `-${t}`),
  fc.constant("a".repeat(129)),
  validTag.map((t) => `${t}+x`),
  hex(63).map((h) => `sha256:${h}`),
  hex(65).map((h) => `sha256:${h}`),
  hex(64).map((h) => `sha256:${h.toUpperCase()}A`),
  hex(64).map((h) => `:${h}`),
  hex(64).map((h) => `SHA256:${h}`),
);
/** A blob reference that is not a valid digest (a tag is not one). */
export const invalidDigest = fc.oneof(invalidReference, validTag);

/** A header value an HTTP parser would hand the Worker: Latin-1 without CR, LF or NUL. */
export const headerValue = (arbitrary: fc.Arbitrary<string>) =>
  arbitrary.map((s) =>
    s
      .replace(/[\r\n\0]/g, " ")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the range names every byte, so what is outside it is not a byte
      .replace(/[^\x00-\xff]/g, "?")
      .trim(),
  );

/**
 * Runs every one of `numRuns` cases of a property (fixed seed) and fails on a counterexample, and also when fewer
 * cases ran: fast-check's time limit otherwise ends a run early and passes it.
 */
export async function checkProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  numRuns = PROPERTY_RUNS,
): Promise<void> {
  const details = await fc.check(property as fc.IRawProperty<Ts>, {
    seed: 7,
    numRuns,
    interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS,
  });
  if (details.failed) throw new Error(fc.defaultReportMessage(details));
  expect(
    details.numRuns,
    `the property ran ${details.numRuns} of its ${numRuns} cases (interrupted: ${details.interrupted})`,
  ).toBe(numRuns);
}
