// A Worker of known cost for bench/own-cpu.bench.ts: /noop answers at once; /burn?n=N runs a loop of N steps, whose
// cost per step the bench measures from the process CPU of long runs (where the runtime's own work is negligible).
// /pipe?url=U answers with a fetch of U as it is, the least a streaming Worker can do: the mirror bench's memory
// floor (never deployed, so the open fetch reaches nothing but the bench's own upstream).
function burn(steps) {
  let x = 0;
  for (let i = 0; i < steps; i++) x = (x * 31 + i) % 1000003;
  return x;
}

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/pipe") return fetch(url.searchParams.get("url"));
    if (url.pathname === "/burn") return new Response(String(burn(Number(url.searchParams.get("n")))));
    return new Response("ok");
  },
};
