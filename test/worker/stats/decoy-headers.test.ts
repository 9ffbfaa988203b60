/**
 * Review of #25: behind a decoy, /stats without the token differs from another unknown path in nothing a client can
 * read: every header (not only status and body), for GET and HEAD, with and without a wrong token.
 */
import { describe, expect, it } from "vitest";
import { callWorker } from "../support/fake-upstream";
import { ownStore, settle } from "./support";

async function everything(path: string, init: RequestInit, vars: Record<string, unknown>) {
  const response = await callWorker(`https://mirror.example.org${path}`, init, vars);
  const body = (await response.text()).replaceAll(path, "<path>");
  const headers = [...response.headers].filter(([name]) => name !== "date" && name !== "content-length");
  return { status: response.status, headers, body };
}

describe("/stats behind a decoy, header by header", () => {
  it("is any unknown path for GET and HEAD, with or without a wrong token", async () => {
    const store = ownStore();
    for (const HOME_PAGE of ["nginx", "redirect:https://www.example.net/", "none"])
      for (const method of ["GET", "HEAD"])
        for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: `Basic ${btoa("a:b")}` }]) {
          const vars = { ...store.vars, HOME_PAGE };
          const stats = await everything("/stats", { method, headers }, vars);
          expect(stats, `${HOME_PAGE} ${method}`).toEqual(await everything("/elsewhere", { method, headers }, vars));
        }
    await settle(store.vars);
  });
});
