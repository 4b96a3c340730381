// Object bindings for tools: env.NAME for an r2 bucket (Cloudflare's Workers R2
// API: put, get, head, delete, list; R2Object, R2ObjectBody) and for an email
// sender (send). Each call is a host operation (host.binding → an "op" frame of
// kind "binding"): the app's binding host performs it through the session's
// egress gate, which signs S3 requests and logs in to SMTP with keys the tool
// never sees, and the answer (JSON in R2's shapes, plus the object's bytes) comes
// back through completeOp. A failed call rejects with an Error whose message is
// the host's ("r2 BUCKET: put \"k\": SignatureDoesNotMatch: … (HTTP 403)").
//
// Hardening as in fetch.js: completeOp and the queue run from the host's event
// loop and use only the primordials below, null-prototype records and lists,
// and private fields. What the host receives (names, JSON text, a string or byte
// view) is checked again in C++ (hostBinding) and by the host side itself.

const ReflectApply = Reflect.apply;
const ObjectFreeze = Object.freeze;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectKeys = Object.keys;
const ObjectDefineProperty = Object.defineProperty;
const ObjectPrototypeHasOwnProperty = Object.prototype.hasOwnProperty;
const ArrayIsArray = Array.isArray;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const StringCtor = String;
const NumberCtor = Number;
const DateCtor = Date;
const DatePrototypeGetTime = Date.prototype.getTime;
const DatePrototypeToUTCString = Date.prototype.toUTCString;
const PromiseCtor = Promise;
const ErrorCtor = Error;
const TypeErrorCtor = TypeError;
const MapCtor = Map;
const MapPrototypeGet = Map.prototype.get;
const MapPrototypeSet = Map.prototype.set;
const MapPrototypeDelete = Map.prototype.delete;
const ArrayBufferIsView = ArrayBuffer.isView;
const ArrayBufferPrototypeSlice = ArrayBuffer.prototype.slice;
const ArrayBufferByteLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength").get;
const Uint8ArrayCtor = Uint8Array;
const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
const TypedArrayBuffer = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "buffer").get;
const StringPrototypeCharCodeAt = String.prototype.charCodeAt;
const StringPrototypeSlice = String.prototype.slice;

const MAX_IN_FLIGHT = 16; // as jsd/Job.h: more wait here until one finishes

function list() {
  return ObjectSetPrototypeOf([], null);
}

function append(items, value) {
  items[items.length] = value;
}

// Sets an own data property without consulting a setter a tool may have put on
// Object.prototype or Array.prototype (answers are built on the host's path).
function define(object, key, value) {
  ObjectDefineProperty(object, key, { __proto__: null, value, writable: true, enumerable: true, configurable: true });
}

// A member the host's JSON has itself (never one a tool put on Object.prototype).
function own(object, key) {
  if (object === null || typeof object !== "object") return undefined;
  return ReflectApply(ObjectPrototypeHasOwnProperty, object, [key]) ? object[key] : undefined;
}

function isDate(value) {
  try {
    ReflectApply(DatePrototypeGetTime, value, []);
    return true;
  } catch {
    return false;
  }
}

function hexToBuffer(hex) {
  const bytes = new Uint8ArrayCtor(hex.length >> 1);
  for (let i = 0; i + 1 < hex.length; i += 2) {
    const pair = ReflectApply(StringPrototypeSlice, hex, [i, i + 2]);
    bytes[i >> 1] = NumberCtor("0x" + pair);
  }
  return ReflectApply(TypedArrayBuffer, bytes, []);
}

// A time a tool gives (Date or ms) as ms for the host; anything else as it is,
// for the host to refuse with the field's name.
function timeValue(value) {
  if (value !== null && typeof value === "object" && isDate(value)) return ReflectApply(DatePrototypeGetTime, value, []);
  return value;
}

const HTTP_METADATA_HEADERS = ObjectFreeze([
  ["contentType", "content-type"],
  ["contentLanguage", "content-language"],
  ["contentDisposition", "content-disposition"],
  ["contentEncoding", "content-encoding"],
  ["cacheControl", "cache-control"],
]);

function isHeadersLike(value) {
  return value !== null && typeof value === "object" && typeof value.get === "function" && typeof value.has === "function";
}

// httpMetadata as R2 takes it: an R2HTTPMetadata-shaped object or a Headers.
function httpMetadataArg(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object") throw new TypeErrorCtor("httpMetadata must be an object or a Headers");
  const out = {};
  if (isHeadersLike(value)) {
    for (let i = 0; i < HTTP_METADATA_HEADERS.length; ++i) {
      const v = value.get(HTTP_METADATA_HEADERS[i][1]);
      if (v !== null) out[HTTP_METADATA_HEADERS[i][0]] = StringCtor(v);
    }
    const expires = value.get("expires");
    if (expires !== null) out.cacheExpiry = StringCtor(expires);
    return out;
  }
  const keys = ObjectKeys(value);
  for (let i = 0; i < keys.length; ++i) {
    const v = value[keys[i]];
    if (v === undefined) continue;
    out[keys[i]] = keys[i] === "cacheExpiry" ? timeValue(v) : v;
  }
  return out;
}

// onlyIf as R2 takes it: an R2Conditional, or Headers (If-Match & co.).
function onlyIfArg(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object") throw new TypeErrorCtor("onlyIf must be an object or a Headers");
  const out = {};
  if (isHeadersLike(value)) {
    const unquote = (s) => {
      const t = StringCtor(s);
      return t.length >= 2 && t[0] === '"' && t[t.length - 1] === '"' ? ReflectApply(StringPrototypeSlice, t, [1, -1]) : t;
    };
    const m = value.get("if-match"), n = value.get("if-none-match");
    const before = value.get("if-unmodified-since"), after = value.get("if-modified-since");
    if (m !== null) out.etagMatches = unquote(m);
    if (n !== null) out.etagDoesNotMatch = unquote(n);
    if (before !== null) out.uploadedBefore = StringCtor(before);
    if (after !== null) out.uploadedAfter = StringCtor(after);
    return out;
  }
  const keys = ObjectKeys(value);
  for (let i = 0; i < keys.length; ++i) {
    const v = value[keys[i]];
    if (v === undefined) continue;
    out[keys[i]] = keys[i] === "uploadedBefore" || keys[i] === "uploadedAfter" ? timeValue(v) : v;
  }
  return out;
}

// A put value or raw message for the host: a string (the host encodes it as
// UTF-8), or bytes of its own.
function bodyArg(value, what) {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (ArrayBufferIsView(value)) return value; // the host copies the view's bytes
  let length = -1;
  try {
    length = ReflectApply(ArrayBufferByteLength, value, []);
  } catch {}
  if (length >= 0) return ReflectApply(ArrayBufferPrototypeSlice, value, [0]);
  throw new TypeErrorCtor(`${what} must be a string, an ArrayBuffer, a typed array or null (streams and Blobs are not supported)`);
}

function keyArg(key, binding, action) {
  if (typeof key !== "string") {
    if (key === undefined || key === null) throw new TypeErrorCtor(`env.${binding}.${action}: a key is required`);
    return StringCtor(key);
  }
  return key;
}

export function createBindings(deps) {
  const hostBinding = deps.hostBinding;
  const hostCancelOp = deps.hostCancelOp;
  const decodeUtf8 = deps.decodeUtf8; // ArrayBuffer → string
  const signalAborted = deps.signalAborted;
  const signalReason = deps.signalReason;
  const signalListen = deps.signalListen;
  const runSignal = deps.runSignal;

  // ---- R2Object, R2ObjectBody ------------------------------------------------------

  const INTERNAL = ObjectFreeze({ __proto__: null });

  function checksumsOf(json) {
    const md5 = own(json, "md5");
    const sha256 = own(json, "sha256");
    const out = {};
    if (typeof md5 === "string") define(out, "md5", hexToBuffer(md5));
    if (typeof sha256 === "string") define(out, "sha256", hexToBuffer(sha256));
    ObjectSetPrototypeOf(out, {
      toJSON() {
        const hex = {};
        if (typeof md5 === "string") hex.md5 = md5;
        if (typeof sha256 === "string") hex.sha256 = sha256;
        return hex;
      },
    });
    return out;
  }

  function httpMetadataOf(json) {
    const out = {};
    for (let i = 0; i < HTTP_METADATA_HEADERS.length; ++i) {
      const v = own(json, HTTP_METADATA_HEADERS[i][0]);
      if (typeof v === "string") define(out, HTTP_METADATA_HEADERS[i][0], v);
    }
    const expiry = own(json, "cacheExpiry");
    if (typeof expiry === "number") define(out, "cacheExpiry", new DateCtor(expiry));
    return out;
  }

  function stringRecord(json) {
    const out = {};
    if (json === null || typeof json !== "object") return out;
    const keys = ObjectKeys(json);
    for (let i = 0; i < keys.length; ++i) if (typeof json[keys[i]] === "string") define(out, keys[i], json[keys[i]]);
    return out;
  }

  class R2Object {
    constructor(token, json) {
      if (token !== INTERNAL) throw new TypeErrorCtor("R2Object cannot be constructed; R2 calls return them");
      const str = (k) => {
        const v = own(json, k);
        return typeof v === "string" ? v : "";
      };
      define(this, "key", str("key"));
      define(this, "version", str("version"));
      const size = own(json, "size");
      define(this, "size", typeof size === "number" ? size : 0);
      define(this, "etag", str("etag"));
      define(this, "httpEtag", str("httpEtag"));
      const uploaded = own(json, "uploaded");
      define(this, "uploaded", new DateCtor(typeof uploaded === "number" ? uploaded : 0));
      define(this, "httpMetadata", httpMetadataOf(own(json, "httpMetadata")));
      define(this, "customMetadata", stringRecord(own(json, "customMetadata")));
      const range = own(json, "range");
      if (range !== undefined && range !== null && typeof range === "object")
        define(this, "range", { offset: own(range, "offset"), length: own(range, "length") });
      define(this, "checksums", checksumsOf(own(json, "checksums")));
      define(this, "storageClass", str("storageClass") || "Standard");
    }
    // Sets the object's HTTP metadata on a Headers (for a Response serving it).
    writeHttpMetadata(headers) {
      if (!isHeadersLike(headers) || typeof headers.set !== "function")
        throw new TypeErrorCtor("writeHttpMetadata expects a Headers");
      const meta = this.httpMetadata;
      for (let i = 0; i < HTTP_METADATA_HEADERS.length; ++i) {
        const v = meta[HTTP_METADATA_HEADERS[i][0]];
        if (typeof v === "string") headers.set(HTTP_METADATA_HEADERS[i][1], v);
      }
      if (meta.cacheExpiry !== undefined && isDate(meta.cacheExpiry))
        headers.set("expires", ReflectApply(DatePrototypeToUTCString, meta.cacheExpiry, []));
    }
    get [Symbol.toStringTag]() {
      return "R2Object";
    }
  }

  class R2ObjectBody extends R2Object {
    #body;
    #used = false;
    constructor(token, json, buffer) {
      super(token, json);
      this.#body = buffer;
    }
    get bodyUsed() {
      return this.#used;
    }
    #take() {
      if (this.#used) throw new TypeErrorCtor("the body has already been read");
      this.#used = true;
      return this.#body;
    }
    text() {
      return new PromiseCtor((resolve) => resolve(decodeUtf8(this.#take())));
    }
    json() {
      return new PromiseCtor((resolve) => resolve(JSONParse(decodeUtf8(this.#take()))));
    }
    arrayBuffer() {
      return new PromiseCtor((resolve) => resolve(this.#take()));
    }
    bytes() {
      return new PromiseCtor((resolve) => resolve(new Uint8ArrayCtor(this.#take())));
    }
    get [Symbol.toStringTag]() {
      return "R2ObjectBody";
    }
  }

  function objectOrNull(value) {
    return value === null || typeof value !== "object" ? null : new R2Object(INTERNAL, value);
  }

  // ---- the calls in flight ----------------------------------------------------------

  const inFlight = new MapCtor(); // op → record, through captured Map methods only
  const waiting = list();
  let waitingHead = 0;
  let running = 0;

  function pump() {
    while (running < MAX_IN_FLIGHT && waitingHead < waiting.length) {
      const record = waiting[waitingHead];
      waiting[waitingHead] = undefined;
      ++waitingHead;
      if (record.done) continue;
      let op;
      try {
        op = hostBinding(record.name, record.kind, record.action, record.args, record.body);
      } catch (e) {
        finish(record);
        record.reject(e);
        continue;
      }
      record.op = op;
      ++running;
      ReflectApply(MapPrototypeSet, inFlight, [op, record]);
    }
    if (waitingHead === waiting.length) {
      waiting.length = 0;
      waitingHead = 0;
    }
  }

  function finish(record) {
    record.done = true;
    if (record.unlisten !== null) record.unlisten();
    if (record.op !== 0) {
      ReflectApply(MapPrototypeDelete, inFlight, [record.op]);
      --running;
    }
  }

  // The host's answer: (op, true, value as JSON text, hasBody, ArrayBuffer) or
  // (op, false, message). False when the operation is not a binding call.
  function completeOp(op, ok, a, b, c) {
    const record = ReflectApply(MapPrototypeGet, inFlight, [op]);
    if (record === undefined) return false;
    finish(record);
    if (!ok) {
      record.reject(new ErrorCtor(a));
    } else {
      let value;
      try {
        value = record.shape(JSONParse(a), b, c);
      } catch (e) {
        record.reject(e);
        pump();
        return true;
      }
      record.resolve(value);
    }
    pump();
    return true;
  }

  // One call: the promise of its shaped answer. The call's own signal (cancel,
  // the end of the call) cancels it on the host.
  function call(name, kind, action, args, body, shape) {
    return new PromiseCtor((resolve, reject) => {
      const callSignal = runSignal();
      if (signalAborted(callSignal)) throw signalReason(callSignal);
      const record = {
        __proto__: null,
        op: 0,
        done: false,
        resolve,
        reject,
        name,
        kind,
        action,
        args: JSONStringify(args),
        body,
        shape,
        unlisten: null,
      };
      record.unlisten = signalListen(callSignal, () => {
        if (record.done) return;
        const op = record.op;
        finish(record);
        if (op !== 0) hostCancelOp(op);
        record.reject(signalReason(callSignal));
        pump();
      });
      append(waiting, record);
      pump();
    });
  }

  // ---- env.NAME for an r2 binding -----------------------------------------------------

  const GET_OPTIONS = ObjectFreeze(["range", "onlyIf"]);

  function makeBucket(name) {
    return ObjectFreeze({
      put(key, value, options) {
        return new PromiseCtor((resolve) => {
          const k = keyArg(key, name, "put");
          const body = bodyArg(value, `env.${name}.put: the value`);
          const o = options === undefined || options === null ? {} : options;
          if (typeof o !== "object") throw new TypeErrorCtor(`env.${name}.put: options must be an object`);
          const opts = {};
          const keys = ObjectKeys(o);
          for (let i = 0; i < keys.length; ++i) {
            const v = o[keys[i]];
            if (v === undefined) continue;
            if (keys[i] === "httpMetadata") opts.httpMetadata = httpMetadataArg(v);
            else if (keys[i] === "onlyIf") opts.onlyIf = onlyIfArg(v);
            else if ((keys[i] === "md5" || keys[i] === "sha256") && typeof v !== "string") {
              // R2 takes a hex string or the digest's bytes: the host wants hex.
              const bytes = ArrayBufferIsView(v) ? new Uint8ArrayCtor(ReflectApply(TypedArrayBuffer, v, [])) : new Uint8ArrayCtor(v);
              let hex = "";
              for (let j = 0; j < bytes.length; ++j) hex += (bytes[j] < 16 ? "0" : "") + bytes[j].toString(16);
              opts[keys[i]] = hex;
            } else opts[keys[i]] = v;
          }
          resolve(call(name, "r2", "put", { key: k, options: opts }, body, (json) => objectOrNull(json)));
        });
      },
      get(key, options) {
        return new PromiseCtor((resolve) => {
          const k = keyArg(key, name, "get");
          const o = options === undefined || options === null ? {} : options;
          if (typeof o !== "object") throw new TypeErrorCtor(`env.${name}.get: options must be an object`);
          const opts = {};
          const keys = ObjectKeys(o);
          for (let i = 0; i < keys.length; ++i) {
            const v = o[keys[i]];
            if (v === undefined) continue;
            if (keys[i] === "onlyIf") opts.onlyIf = onlyIfArg(v);
            else if (keys[i] === "range" && isHeadersLike(v))
              throw new TypeErrorCtor(`env.${name}.get: give range as {offset, length} or {suffix}`);
            else opts[keys[i]] = v;
          }
          resolve(
            call(name, "r2", "get", { key: k, options: opts }, "", (json, hasBody, buffer) => {
              if (json === null || typeof json !== "object") return null;
              return hasBody ? new R2ObjectBody(INTERNAL, json, buffer) : new R2Object(INTERNAL, json);
            }),
          );
        });
      },
      head(key) {
        return new PromiseCtor((resolve) => {
          const k = keyArg(key, name, "head");
          resolve(call(name, "r2", "head", { key: k }, "", (json) => objectOrNull(json)));
        });
      },
      delete(keys) {
        return new PromiseCtor((resolve) => {
          const list = [];
          if (ArrayIsArray(keys)) for (let i = 0; i < keys.length; ++i) list[i] = keyArg(keys[i], name, "delete");
          else list[0] = keyArg(keys, name, "delete");
          resolve(call(name, "r2", "delete", { keys: list }, "", () => undefined));
        });
      },
      list(options) {
        return new PromiseCtor((resolve) => {
          const o = options === undefined || options === null ? {} : options;
          if (typeof o !== "object") throw new TypeErrorCtor(`env.${name}.list: options must be an object`);
          const opts = {};
          const keys = ObjectKeys(o);
          for (let i = 0; i < keys.length; ++i) if (o[keys[i]] !== undefined) opts[keys[i]] = o[keys[i]];
          resolve(
            call(name, "r2", "list", { options: opts }, "", (json) => {
              const objects = [];
              const given = own(json, "objects");
              if (ArrayIsArray(given)) for (let i = 0; i < given.length; ++i) define(objects, i, new R2Object(INTERNAL, given[i]));
              const prefixes = [];
              const p = own(json, "delimitedPrefixes");
              if (ArrayIsArray(p))
                for (let i = 0; i < p.length; ++i) if (typeof p[i] === "string") define(prefixes, prefixes.length, p[i]);
              const out = { objects, truncated: own(json, "truncated") === true, delimitedPrefixes: prefixes };
              const cursor = own(json, "cursor");
              if (out.truncated && typeof cursor === "string") define(out, "cursor", cursor);
              return out;
            }),
          );
        });
      },
    });
  }

  // ---- env.NAME for an email binding ----------------------------------------------------

  function makeMailer(name) {
    return ObjectFreeze({
      // send(message): Cloudflare's EmailMessage shape {from, to, raw} (a whole
      // RFC 5322 message), or {from, to, cc, bcc, replyTo, subject, text, html,
      // headers} for the host to build. → {messageId}.
      send(message) {
        return new PromiseCtor((resolve) => {
          if (message === null || typeof message !== "object")
            throw new TypeErrorCtor(`env.${name}.send expects a message object`);
          const shape = (json) => ({ messageId: typeof own(json, "messageId") === "string" ? json.messageId : "" });
          const raw = message.raw;
          if (raw !== undefined) {
            const to = message.to;
            const recipients = [];
            if (ArrayIsArray(to)) for (let i = 0; i < to.length; ++i) recipients[i] = StringCtor(to[i]);
            else if (to !== undefined && to !== null) recipients[0] = StringCtor(to);
            const from = message.from;
            const body = bodyArg(raw, `env.${name}.send: raw`);
            resolve(call(name, "email", "sendRaw", { from: from === undefined ? "" : StringCtor(from), to: recipients }, body, shape));
            return;
          }
          const copy = JSONParse(JSONStringify(message));
          resolve(call(name, "email", "send", { message: copy }, "", shape));
        });
      },
    });
  }

  return { completeOp, makeBucket, makeMailer };
}
