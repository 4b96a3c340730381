// The prelude every tool context starts from: zod, defineTool, console, timers and
// a minimal AbortSignal; nothing else. There is deliberately no require, process,
// fs, fetch or WebSocket: a tool reaches the world only through the `env` bindings
// it is handed.
//
// Contract with the helper (sandbox/isolate/ToolContext.cpp):
//   before this runs, globalThis.__airlockHost = { log(level, text), now() };
//   after it runs, globalThis.__airlockPrelude holds the functions the host calls
//   (describe, invoke, nextTimer, fireNextTimer, abort, zodExports). The host keeps
//   references to both and deletes the two globals before any tool code runs, so a
//   tool cannot call or replace them.
import * as z from "zod";

const host = globalThis.__airlockHost;
const stringify = JSON.stringify;
const parseJson = JSON.parse;
const ObjectFreeze = Object.freeze;

// ---- console and log ---------------------------------------------------------

function inspect(value) {
  switch (typeof value) {
    case "string":
      return value;
    case "undefined":
      return "undefined";
    case "function":
      return `[Function ${value.name || "(anonymous)"}]`;
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "object":
      if (value === null) return "null";
      if (value instanceof Error) return value.stack || `${value.name}: ${value.message}`;
      try {
        const text = stringify(value);
        return text === undefined ? String(value) : text;
      } catch {
        return Object.prototype.toString.call(value);
      }
    default:
      return String(value);
  }
}

function format(args) {
  let out = "";
  for (let i = 0; i < args.length; ++i) out += (i ? " " : "") + inspect(args[i]);
  return out;
}

function makeLogger(prefix) {
  const emit = (level) => (...args) => host.log(level, prefix + format(args));
  const logger = emit("info");
  logger.debug = emit("debug");
  logger.info = emit("info");
  logger.log = emit("info");
  logger.warn = emit("warn");
  logger.error = emit("error");
  return logger;
}

const consoleLogger = makeLogger("");
const console = {
  log: consoleLogger.log,
  info: consoleLogger.info,
  debug: consoleLogger.debug,
  warn: consoleLogger.warn,
  error: consoleLogger.error,
  trace: (...args) => host.log("debug", format(args) + "\n" + new Error().stack.split("\n").slice(2).join("\n")),
};

// ---- timers: the host drives them (nextTimer / fireNextTimer) -----------------

let timerSeq = 0;
const timers = new Map(); // id -> { due, fn, args, every }

function addTimer(fn, ms, args, repeat) {
  if (typeof fn !== "function") throw new TypeError("timer callback must be a function");
  const delay = Math.max(0, Number(ms) || 0);
  const id = ++timerSeq;
  timers.set(id, { due: host.now() + delay, fn, args, every: repeat ? Math.max(1, delay) : 0 });
  return id;
}

function clearTimer(id) {
  timers.delete(id);
}

function nextTimer() {
  let best = -1;
  for (const t of timers.values()) if (best < 0 || t.due < best) best = t.due;
  return best;
}

// Fires the earliest due timer, if any is due at `now`; returns whether one fired.
// One per call, so the host runs microtasks between timers as browsers do.
function fireNextTimer(now) {
  let bestId = 0;
  let best = null;
  for (const [id, t] of timers) {
    if (t.due <= now && (best === null || t.due < best.due)) {
      best = t;
      bestId = id;
    }
  }
  if (!best) return false;
  if (best.every) best.due = now + best.every;
  else timers.delete(bestId);
  try {
    best.fn(...best.args);
  } catch (e) {
    host.log("error", "uncaught exception in timer callback: " + inspect(e));
  }
  return true;
}

// ---- AbortSignal (enough for run's `signal`) ----------------------------------

class AbortSignal {
  #listeners = [];
  aborted = false;
  reason = undefined;
  onabort = null;
  addEventListener(type, fn) {
    if (type === "abort" && typeof fn === "function") this.#listeners.push(fn);
  }
  removeEventListener(type, fn) {
    if (type === "abort") this.#listeners = this.#listeners.filter((l) => l !== fn);
  }
  throwIfAborted() {
    if (this.aborted) throw this.reason;
  }
  _abort(reason) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const event = { type: "abort", target: this };
    for (const fn of [this.onabort, ...this.#listeners]) {
      if (typeof fn !== "function") continue;
      try {
        fn.call(this, event);
      } catch (e) {
        host.log("error", "uncaught exception in abort listener: " + inspect(e));
      }
    }
  }
}

class AbortController {
  signal = new AbortSignal();
  abort(reason) {
    this.signal._abort(reason === undefined ? new Error("This operation was aborted") : reason);
  }
}

// ---- defineTool ----------------------------------------------------------------

const tools = [];
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function defineTool(definition) {
  if (definition === null || typeof definition !== "object")
    throw new TypeError("defineTool expects an object { name, description, inputSchema, run }");
  const { name, description = "", inputSchema, run, annotations } = definition;
  if (typeof name !== "string" || !NAME.test(name))
    throw new TypeError(`defineTool: name must be 1-64 letters, digits, '_', '-' or '.', got ${inspect(name)}`);
  if (typeof description !== "string") throw new TypeError(`defineTool(${name}): description must be a string`);
  if (typeof run !== "function") throw new TypeError(`defineTool(${name}): run must be a function`);
  const schema = inputSchema === undefined ? z.object({}) : inputSchema;
  if (!(schema instanceof z.ZodType))
    throw new TypeError(`defineTool(${name}): inputSchema must be a zod schema, e.g. z.object({ ... })`);
  if (annotations !== undefined && (annotations === null || typeof annotations !== "object"))
    throw new TypeError(`defineTool(${name}): annotations must be an object`);
  if (tools.some((t) => t.name === name)) throw new TypeError(`defineTool: a tool named "${name}" is already defined`);
  const tool = ObjectFreeze({ name, description, inputSchema: schema, run, annotations: annotations ?? {} });
  tools.push(tool);
  return tool;
}

function pickTool(name) {
  if (tools.length === 0) throw new Error("the file defines no tool: call defineTool({ name, description, inputSchema, run })");
  if (!name) {
    if (tools.length === 1) return tools[0];
    throw new Error(`the file defines ${tools.length} tools (${tools.map((t) => t.name).join(", ")}): name one`);
  }
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool named "${name}" in the file (it defines ${tools.map((t) => t.name).join(", ")})`);
  return tool;
}

// ---- host entry points -----------------------------------------------------------

// JSON text: [{ name, description, inputSchema (JSON Schema), annotations }].
function describe() {
  if (tools.length === 0) throw new Error("the file defines no tool: call defineTool({ name, description, inputSchema, run })");
  return stringify(
    tools.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: z.toJSONSchema(t.inputSchema, { io: "input", unrepresentable: "any" }),
      annotations: t.annotations,
    })),
  );
}

function issuePath(issue) {
  return issue.path.length ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : String(p))).join(".") : "(input)";
}

const controller = new AbortController();

// Validates the input and runs the tool. Resolves to
//   { kind: "ok", text, isString } | { kind: "bad_input", message, fields };
// an exception from the tool rejects with that exception.
async function invoke(name, inputJson, envJson) {
  const tool = pickTool(name);
  const input = parseJson(inputJson);
  const parsed = tool.inputSchema.safeParse(input);
  if (!parsed.success) {
    const fields = parsed.error.issues.map(issuePath);
    const message = parsed.error.issues.map((i) => `${issuePath(i)}: ${i.message}`).join("; ");
    return { kind: "bad_input", message, fields };
  }
  const env = ObjectFreeze(parseJson(envJson));
  const value = await tool.run(parsed.data, { env, log: makeLogger(""), signal: controller.signal });
  if (typeof value === "string") return { kind: "ok", text: value, isString: true };
  let text;
  try {
    text = stringify(value === undefined ? null : value);
  } catch (e) {
    throw new TypeError(`the result of ${tool.name} is not JSON-serialisable: ${e.message}`);
  }
  if (text === undefined) throw new TypeError(`the result of ${tool.name} is not JSON-serialisable (${typeof value})`);
  return { kind: "ok", text, isString: false };
}

function abort(reason) {
  controller.abort(new Error(reason));
}

// ---- globals a tool sees -----------------------------------------------------------

const start = host.now();
const globals = {
  z,
  defineTool,
  console,
  setTimeout: (fn, ms, ...args) => addTimer(fn, ms, args, false),
  setInterval: (fn, ms, ...args) => addTimer(fn, ms, args, true),
  clearTimeout: clearTimer,
  clearInterval: clearTimer,
  queueMicrotask: (fn) => {
    if (typeof fn !== "function") throw new TypeError("queueMicrotask expects a function");
    Promise.resolve().then(fn);
  },
  AbortController,
  AbortSignal,
  performance: ObjectFreeze({ now: () => host.now() - start }),
};
for (const [key, value] of Object.entries(globals))
  Object.defineProperty(globalThis, key, { value, writable: true, configurable: true, enumerable: false });

globalThis.__airlockPrelude = {
  describe,
  invoke,
  nextTimer,
  fireNextTimer,
  abort,
  // Export names of the "zod" module a tool may import: z itself, default, and z's members.
  zodExports: [...new Set(["z", "default", ...Object.keys(z)])],
  z,
  defineTool,
};
