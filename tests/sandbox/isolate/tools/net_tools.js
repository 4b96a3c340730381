// The tools of tst_isolate_fetch, one scenario each; `base` is the server the
// egress policy allows, `other` one it does not.
const input = z.object({ base: z.string(), other: z.string().optional(), n: z.number().optional() });
const header = (echo, name) => {
  for (const [k, v] of echo.headers) if (k.toLowerCase() === name) return v;
  return null;
};

defineTool({ name: "get", inputSchema: input, async run({ base }) {
  const r = await fetch(base + "/echo/t?x=1", { headers: { "X-Tool": "yes", "x-multi": "a" } });
  const echo = await r.json();
  const text = await (await fetch(base + "/slow?ms=0")).text();
  const buf = await (await fetch(new Request(base + "/big?n=1000"))).arrayBuffer();
  return {
    status: r.status, ok: r.ok, statusText: r.statusText, url: r.url, redirected: r.redirected,
    bodyUsed: r.bodyUsed, contentType: r.headers.get("Content-Type"), path: echo.path, method: echo.method,
    xTool: header(echo, "x-tool"), text, bytes: buf.byteLength, isBuffer: buf instanceof ArrayBuffer,
  };
}});

defineTool({ name: "post", inputSchema: input, async run({ base }) {
  const a = await (await fetch(base + "/echo/p", { method: "POST", body: JSON.stringify({ q: 1 }),
                                                   headers: { "Content-Type": "application/json" } })).json();
  const b = await (await fetch(base + "/echo/p", { method: "put", body: new Uint8Array([104, 105]) })).json();
  const h = new Headers([["A", "1"], ["a", "2"]]);
  h.append("B", "3");
  return { a: [a.method, a.body, header(a, "content-type")], b: [b.method, b.body],
           joined: h.get("a"), has: h.has("B"), entries: [...h].map(([k, v]) => k + "=" + v).join(";") };
}});

defineTool({ name: "denied", inputSchema: input, async run({ other }) {
  try { await fetch(other + "/echo/d"); return "fetched"; }
  catch (e) { return { isTypeError: e instanceof TypeError, message: e.message }; }
}});

defineTool({ name: "redirects", inputSchema: input, async run({ base, other }) {
  const to = (u) => base + "/redirect?to=" + encodeURIComponent(u);
  const out = {};
  try { await fetch(to(other + "/echo/r")); out.toDenied = "fetched"; }
  catch (e) { out.toDenied = { isTypeError: e instanceof TypeError, message: e.message }; }
  const m = await fetch(to(base + "/echo/r"), { redirect: "manual" });
  out.manual = { status: m.status, ok: m.ok, location: m.headers.get("location") };
  try { await fetch(to(base + "/echo/r"), { redirect: "error" }); out.error = "fetched"; }
  catch (e) { out.error = { isTypeError: e instanceof TypeError, message: e.message }; }
  const f = await fetch(to(base + "/echo/r"));
  out.follow = { status: f.status, redirected: f.redirected, path: (await f.json()).path };
  return out;
}});

defineTool({ name: "abort", inputSchema: input, async run({ base }) {
  const c = new AbortController();
  const p = fetch(base + "/slow?ms=30000", { signal: c.signal });
  setTimeout(() => c.abort(), 20);
  try { await p; return "fetched"; }
  catch (e) { return { name: e.name, isDOMException: e instanceof DOMException, message: e.message }; }
}});

defineTool({ name: "hang", inputSchema: input, async run({ base }, { log }) {
  const p = fetch(base + "/slow?ms=30000");
  log("started");
  await p;
  return "fetched";
}});

defineTool({ name: "binding", inputSchema: input, async run(_, { env }) {
  const r = await env.BILLING.fetch("/echo/v1/invoices?x=1", { headers: { "X-Tool": "b" } });
  const echo = await r.json();
  let globals = "";
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    let text;
    try { text = JSON.stringify(globalThis[name]); } catch { text = "?"; }
    globals += name + "=" + text + "\n";
  }
  let relative;
  try { await env.BILLING.fetch("http://127.0.0.1:1/x"); } catch (e) { relative = e.message; }
  return { path: echo.path, key: header(echo, "x-billing-key"), xTool: header(echo, "x-tool"),
           env: JSON.stringify(env), frozen: Object.isFrozen(env.BILLING), globals, relative };
}});

defineTool({ name: "many", inputSchema: input, async run({ base, n }) {
  const all = [];
  for (let i = 0; i < n; ++i) all.push(fetch(base + "/slow?ms=100").then((r) => r.text()));
  const texts = await Promise.all(all);
  return texts.filter((t) => t === "slow").length;
}});

defineTool({ name: "plain", inputSchema: input, async run({ base }) {
  try { await fetch(base + "/echo/n"); return "fetched"; }
  catch (e) { return { isTypeError: e instanceof TypeError, message: e.message }; }
}});

// Built-ins a hostile tool may patch before it fetches: the prelude's fetch path
// (queue, completeOp, Response) must not consult any of them.
defineTool({ name: "hostile", inputSchema: input, async run({ base }) {
  const trap = (what) => () => { throw new Error("trap: " + what); };
  Map.prototype.get = trap("Map.get");
  Map.prototype.set = trap("Map.set");
  Map.prototype.delete = trap("Map.delete");
  Array.prototype[Symbol.iterator] = trap("Array iterator");
  Array.prototype.push = trap("Array.push");
  String.prototype.toLowerCase = trap("toLowerCase");
  String.prototype.slice = trap("slice");
  String.prototype.charCodeAt = trap("charCodeAt");
  ArrayBuffer.prototype.slice = trap("ArrayBuffer.slice");
  JSON.parse = trap("JSON.parse");
  Reflect.apply = trap("Reflect.apply");
  Object.freeze = trap("Object.freeze");
  Object.defineProperty(Object.prototype, "name", { get: trap("Object.prototype.name"), configurable: true });
  const r = await fetch(base + "/echo/h", { method: "POST", body: "b", headers: { "X-H": "1" } });
  const echo = await r.json();
  return { status: r.status, path: echo.path, body: echo.body, type: r.headers.get("content-type") };
}});

defineTool({ name: "bounds", inputSchema: input, async run({ base }) {
  const out = {};
  const message = async (p) => { try { await p; return "fetched"; } catch (e) { return e instanceof TypeError ? e.message : "not a TypeError: " + e; } };
  out.requestBody = await message(fetch(base + "/echo/b", { method: "POST", body: "x".repeat(16 * 1024 * 1024 + 1) }));
  out.oneTooLarge = await message(fetch(base + "/big?n=" + (33 * 1024 * 1024)));
  const first = await fetch(base + "/big?n=" + (20 * 1024 * 1024));
  out.first = (await first.arrayBuffer()).byteLength;
  out.second = await message(fetch(base + "/big?n=" + (20 * 1024 * 1024)));
  out.getWithBody = await message(fetch(base + "/echo/g", { body: "x" }));
  out.badRedirect = await message(fetch(base + "/echo/g", { redirect: "sometimes" }));
  return out;
}});
