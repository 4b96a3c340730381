// fetch at a tool file's top level is refused: requests are made only while a
// tool runs (tst_isolate_fetch).
let topLevel = "not settled";
fetch("http://127.0.0.1:1/").then(() => { topLevel = "fetched"; }, (e) => { topLevel = e.message; });
defineTool({ name: "top", run: () => topLevel });
