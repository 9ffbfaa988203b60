/**
 * The query parameters a registry endpoint defines, each checked by the spec's grammar before anything goes upstream:
 * they are the only part of a client's query the upstream ever sees (upstream/target-request.ts forwards these names).
 * tags/list: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags (`n`, `last`)
 * referrers: https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers (`artifactType`)
 */
import { RegistryError } from "../core/errors";
import { assertTag } from "./reference";
import type { TargetKind } from "./target";

/** The query parameters each endpoint defines; every other parameter (`ns`, cache busters) stays here. */
export const ENDPOINT_QUERY: Partial<Record<TargetKind, readonly string[]>> = {
  tags: ["n", "last"],
  referrers: ["artifactType"],
};

/** The largest page of tags a client may ask for: more than any registry serves in one answer. */
export const MAX_TAGS_PAGE = 10_000;
/** RFC 6838 section 4.2: `type/subtype`, each a restricted-name of at most 127 characters. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** Throws the OCI error for the first parameter of the endpoint's own that is repeated or outside its grammar. */
export function assertEndpointQuery(kind: TargetKind, query: URLSearchParams): void {
  for (const name of ENDPOINT_QUERY[kind] ?? []) {
    const values = query.getAll(name);
    if (values.length === 0) continue;
    const value = values.length === 1 ? values[0] : undefined; // a repeated parameter means whatever the upstream picks
    if (name === "n") assertPageSize(value);
    else if (name === "last") assertTag(value ?? "", { last: values });
    else assertMediaType(value, values);
  }
}

function assertPageSize(value: string | undefined): void {
  if (value === undefined || !/^(?:0|[1-9][0-9]{0,4})$/.test(value) || Number(value) > MAX_TAGS_PAGE) {
    throw new RegistryError(
      "PAGINATION_NUMBER_INVALID",
      `n must be given once, as a whole number from 0 to ${MAX_TAGS_PAGE}`,
      { detail: { n: value ?? null } },
    );
  }
}

function assertMediaType(value: string | undefined, values: string[]): void {
  if (value === undefined || !MEDIA_TYPE.test(value)) {
    throw new RegistryError(
      "UNSUPPORTED",
      "artifactType must be given once, as a media type such as application/vnd.example+json",
      { status: 400, detail: { artifactType: values } },
    );
  }
}
