// Hostile (a plain, sloppy-mode script): tries every way a tool could get hold of
// the functions that called it (the prelude's own: the invoke wrapper, the timer
// and abort entry points, host bindings) and reports what it found.
const found = [];
const own = new Set();
// Functions and objects of the tool's own (its run, helpers, the object
// defineTool returned, which run() gets as `this`) are no discovery.
function note(how, value) {
  if (value === undefined || value === null || value === globalThis || own.has(value)) return;
  if (typeof value === "function") found.push(`${how}: ${value.name || "(anonymous)"}`);
  else if (typeof value === "object") found.push(`${how}: an object`);
}
function walkCallers(how, fn) {
  for (let f = fn, depth = 0; f && depth < 20; ++depth) {
    let next;
    try {
      next = f.caller;
    } catch {
      break;
    }
    note(how, next);
    f = next;
  }
}
function captureSites(how) {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, sites) => {
    for (const site of sites) {
      note(`${how} getFunction`, site.getFunction());
      note(`${how} getThis`, site.getThis());
    }
    return "";
  };
  const holder = {};
  Error.captureStackTrace(holder);
  void holder.stack;
  void new Error("x").stack;
  Error.prepareStackTrace = previous;
}

// Prototype pollution aimed at the prelude's bookkeeping.
const realPush = Array.prototype.push;
Array.prototype.push = function (...items) {
  for (const item of items)
    if (item !== null && typeof item === "object" && item.name === "probe" && typeof item.run === "function")
      found.push("Array.prototype.push saw the tool registry");
  return Reflect.apply(realPush, this, items);
};
const realSet = Map.prototype.set;
Map.prototype.set = function (key, value) {
  if (value !== null && typeof value === "object" && typeof value.fn === "function")
    found.push("Map.prototype.set saw the timer table");
  return Reflect.apply(realSet, this, [key, value]);
};
Map.prototype.values = function () {
  found.push("Map.prototype.values ran for the host");
  return [].values();
};

function run(input, context) {
  own.add(run).add(note).add(walkCallers).add(captureSites);
  walkCallers("run.caller", run);
  note("arguments.callee.caller", arguments.callee.caller);
  captureSites("sync");
  // Through zod: a refinement runs tool code from inside zod's (and the prelude's) frames.
  const check = function check() {
    own.add(this); // zod calls a refinement as a method of its own check: that receiver is no secret
    walkCallers("refine caller", check);
    captureSites("refine");
    return true;
  };
  own.add(check);
  z.string().refine(check).parse("x");
  return new Promise((resolve) => {
    setTimeout(function later() {
      own.add(later);
      walkCallers("timer caller", later);
      captureSites("timer");
      context.signal.addEventListener("abort", () => {});
      resolve(found);
    }, 1);
  }).then(async function afterwards(list) {
    own.add(afterwards);
    await null;
    captureSites("async");
    return list;
  });
}
own.add(defineTool({ name: "probe", run }));
