// fetch for tools, WHATWG-shaped (fetch, Request, Response, Headers), performed by
// the host: the tool's context never opens a connection. Each request goes to the
// helper as a host operation (host.fetch → an "op" frame), the app hands it to the
// session's egress gate, which decides, adds credentials and records it, and the
// answer comes back through completeOp. A refused or failed request rejects with a
// TypeError carrying the gate's message; an aborted one with the signal's reason
// (an AbortError DOMException unless the tool gave another).
//
// Service bindings: env.NAME is a frozen { fetch(input, init) } taking a path
// ("/v1/invoices?x=1") under the binding's URL, which the host alone knows, with
// the binding's credentials, which the tool never sees.
//
// Hardening as in prelude.js: completeOp and the request pump run from the host's
// event loop, so they use only the primordials below (captured before any tool
// code exists), null-prototype records and lists, and private fields; nothing a
// tool could patch. The classes' own methods run for the tool and may use more.

const ReflectApply = Reflect.apply;
const ObjectFreeze = Object.freeze;
const ObjectSetPrototypeOf = Object.setPrototypeOf;
const ObjectKeys = Object.keys;
const ArrayPrototypeValues = Array.prototype.values;
const JSONParse = JSON.parse;
const StringCtor = String;
const StringPrototypeToLowerCase = String.prototype.toLowerCase;
const StringPrototypeToUpperCase = String.prototype.toUpperCase;
const StringPrototypeCharCodeAt = String.prototype.charCodeAt;
const StringPrototypeSlice = String.prototype.slice;
const PromiseCtor = Promise;
const TypeErrorCtor = TypeError;
const RangeErrorCtor = RangeError;
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
const DataViewBuffer = Object.getOwnPropertyDescriptor(DataView.prototype, "buffer").get;
const DataViewByteOffset = Object.getOwnPropertyDescriptor(DataView.prototype, "byteOffset").get;
const DataViewByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, "byteLength").get;
const TypedArrayByteOffset = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteOffset").get;
const TypedArrayByteLength = Object.getOwnPropertyDescriptor(TypedArrayPrototype, "byteLength").get;
const SymbolIterator = Symbol.iterator;

const MAX_IN_FLIGHT = 16; // as jsd/Job.h: more wait here until one finishes
const MAX_BODY = 16 * 1024 * 1024;

function list() {
  return ObjectSetPrototypeOf([], null);
}

function append(items, value) {
  items[items.length] = value;
}

function lower(s) {
  return ReflectApply(StringPrototypeToLowerCase, s, []);
}

// RFC 9110 token characters.
function isToken(s) {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; ++i) {
    const c = ReflectApply(StringPrototypeCharCodeAt, s, [i]);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 33 || // !
      (c >= 35 && c <= 39) || // # $ % & '
      c === 42 || // *
      c === 43 || // +
      c === 45 || // -
      c === 46 || // .
      c === 94 || // ^
      c === 95 || // _
      c === 96 || // `
      c === 124 || // |
      c === 126; // ~
    if (!ok) return false;
  }
  return true;
}

function isHttpSpace(c) {
  return c === 9 || c === 10 || c === 13 || c === 32;
}

function headerName(name) {
  const s = StringCtor(name);
  if (!isToken(s)) throw new TypeErrorCtor(`Headers: "${s}" is not a valid header name`);
  return lower(s);
}

function headerValue(value) {
  const s = StringCtor(value);
  let start = 0;
  let end = s.length;
  while (start < end && isHttpSpace(ReflectApply(StringPrototypeCharCodeAt, s, [start]))) ++start;
  while (end > start && isHttpSpace(ReflectApply(StringPrototypeCharCodeAt, s, [end - 1]))) --end;
  const v = ReflectApply(StringPrototypeSlice, s, [start, end]);
  for (let i = 0; i < v.length; ++i) {
    const c = ReflectApply(StringPrototypeCharCodeAt, v, [i]);
    if (c === 0 || c === 10 || c === 13 || c > 255)
      throw new TypeErrorCtor(`Headers: the value of a header may not contain NUL, CR, LF or characters above U+00FF`);
  }
  return v;
}

// An array iterator over `items` (a plain array the tool may then consume).
function iterate(items) {
  return ReflectApply(ArrayPrototypeValues, items, []);
}

// What the prelude gives this module: the UTF-8 encoder, the host's entry points
// and its AbortSignal internals.
export function createFetch(deps) {
  const hostFetch = deps.hostFetch;
  const hostCancelOp = deps.hostCancelOp;
  const decodeUtf8 = deps.decodeUtf8; // ArrayBuffer → string
  const encodeUtf8 = deps.encodeUtf8; // string → Uint8Array
  const isSignal = deps.isSignal;
  const signalAborted = deps.signalAborted;
  const signalReason = deps.signalReason;
  const signalListen = deps.signalListen; // (signal, fn) → unlisten()
  const runSignal = deps.runSignal; // () → the call's signal
  const DOMException = deps.DOMException;

  // ---- Headers ----------------------------------------------------------------

  let headersList; // headers → its list of { name (lower case), value }, insertion order
  let headersFrozen; // marks a response's headers immutable
  let isHeaders;

  class Headers {
    #list = list();
    #immutable = false;
    static {
      headersList = (h) => h.#list;
      headersFrozen = (h) => {
        h.#immutable = true;
      };
      isHeaders = (h) => h !== null && typeof h === "object" && #list in h;
    }
    constructor(init) {
      if (init === undefined || init === null) return;
      if (isHeaders(init)) {
        const from = init.#list;
        for (let i = 0; i < from.length; ++i) append(this.#list, { __proto__: null, name: from[i].name, value: from[i].value });
        return;
      }
      if (typeof init !== "object" && typeof init !== "function")
        throw new TypeErrorCtor("Headers: init must be a Headers, a list of [name, value] pairs, or a record");
      if (typeof init[SymbolIterator] === "function") {
        for (const pair of init) {
          if (pair === null || typeof pair !== "object" || pair.length !== 2)
            throw new TypeErrorCtor("Headers: each pair must be [name, value]");
          this.append(pair[0], pair[1]);
        }
        return;
      }
      const keys = ObjectKeys(init);
      for (let i = 0; i < keys.length; ++i) this.append(keys[i], init[keys[i]]);
    }
    #writable() {
      if (this.#immutable) throw new TypeErrorCtor("Headers: these headers are immutable");
    }
    append(name, value) {
      this.#writable();
      append(this.#list, { __proto__: null, name: headerName(name), value: headerValue(value) });
    }
    set(name, value) {
      this.#writable();
      const n = headerName(name);
      const v = headerValue(value);
      const kept = list();
      let placed = false;
      for (let i = 0; i < this.#list.length; ++i) {
        const e = this.#list[i];
        if (e.name !== n) append(kept, e);
        else if (!placed) {
          append(kept, { __proto__: null, name: n, value: v });
          placed = true;
        }
      }
      if (!placed) append(kept, { __proto__: null, name: n, value: v });
      this.#list = kept;
    }
    delete(name) {
      this.#writable();
      const n = headerName(name);
      const kept = list();
      for (let i = 0; i < this.#list.length; ++i) if (this.#list[i].name !== n) append(kept, this.#list[i]);
      this.#list = kept;
    }
    get(name) {
      const n = headerName(name);
      let out = null;
      for (let i = 0; i < this.#list.length; ++i)
        if (this.#list[i].name === n) out = out === null ? this.#list[i].value : out + ", " + this.#list[i].value;
      return out;
    }
    getSetCookie() {
      const out = [];
      for (let i = 0; i < this.#list.length; ++i) if (this.#list[i].name === "set-cookie") out[out.length] = this.#list[i].value;
      return out;
    }
    has(name) {
      const n = headerName(name);
      for (let i = 0; i < this.#list.length; ++i) if (this.#list[i].name === n) return true;
      return false;
    }
    // Sorted by name, values of one name combined (Set-Cookie kept apart), as the
    // standard's iteration is.
    #sorted() {
      const names = list();
      for (let i = 0; i < this.#list.length; ++i) {
        const n = this.#list[i].name;
        let seen = false;
        for (let j = 0; j < names.length; ++j) if (names[j] === n) seen = true;
        if (!seen) {
          let at = names.length;
          while (at > 0 && names[at - 1] > n) {
            names[at] = names[at - 1];
            --at;
          }
          names[at] = n;
        }
      }
      const out = [];
      for (let j = 0; j < names.length; ++j) {
        if (names[j] === "set-cookie") {
          for (let i = 0; i < this.#list.length; ++i)
            if (this.#list[i].name === "set-cookie") out[out.length] = ["set-cookie", this.#list[i].value];
        } else {
          out[out.length] = [names[j], this.get(names[j])];
        }
      }
      return out;
    }
    forEach(fn, thisArg) {
      if (typeof fn !== "function") throw new TypeErrorCtor("Headers.forEach expects a function");
      const pairs = this.#sorted();
      for (let i = 0; i < pairs.length; ++i) ReflectApply(fn, thisArg, [pairs[i][1], pairs[i][0], this]);
    }
    entries() {
      return iterate(this.#sorted());
    }
    keys() {
      const pairs = this.#sorted();
      const out = [];
      for (let i = 0; i < pairs.length; ++i) out[i] = pairs[i][0];
      return iterate(out);
    }
    values() {
      const pairs = this.#sorted();
      const out = [];
      for (let i = 0; i < pairs.length; ++i) out[i] = pairs[i][1];
      return iterate(out);
    }
    [SymbolIterator]() {
      return this.entries();
    }
    get [Symbol.toStringTag]() {
      return "Headers";
    }
  }

  // ---- bodies -------------------------------------------------------------------

  // A body as the request or response keeps it: null, a string, or bytes of its
  // own (an ArrayBuffer nobody else holds).
  function extractBody(body) {
    if (body === undefined || body === null) return null;
    if (typeof body === "string") {
      if (body.length > MAX_BODY) throw new TypeErrorCtor("fetch: the request body is over 16 MiB");
      return body;
    }
    if (ArrayBufferIsView(body)) {
      let buffer, offset, length;
      try {
        buffer = ReflectApply(TypedArrayBuffer, body, []);
        offset = ReflectApply(TypedArrayByteOffset, body, []);
        length = ReflectApply(TypedArrayByteLength, body, []);
      } catch {
        buffer = ReflectApply(DataViewBuffer, body, []);
        offset = ReflectApply(DataViewByteOffset, body, []);
        length = ReflectApply(DataViewByteLength, body, []);
      }
      if (length > MAX_BODY) throw new TypeErrorCtor("fetch: the request body is over 16 MiB");
      return ReflectApply(ArrayBufferPrototypeSlice, buffer, [offset, offset + length]);
    }
    let length = -1;
    try {
      length = ReflectApply(ArrayBufferByteLength, body, []);
    } catch {}
    if (length >= 0) {
      if (length > MAX_BODY) throw new TypeErrorCtor("fetch: the request body is over 16 MiB");
      return ReflectApply(ArrayBufferPrototypeSlice, body, [0]);
    }
    if (typeof body === "object" && typeof body.toString === "function" && isSearchParams(body)) return StringCtor(body);
    // Anything else becomes its string, as in browsers (a Blob or stream is not supported).
    return StringCtor(body);
  }

  function isSearchParams(body) {
    return body !== null && typeof body === "object" && body[Symbol.toStringTag] === "URLSearchParams";
  }

  function copyBody(body) {
    return typeof body === "string" || body === null ? body : ReflectApply(ArrayBufferPrototypeSlice, body, [0]);
  }

  function bodyText(body) {
    if (body === null) return "";
    if (typeof body === "string") return body;
    return decodeUtf8(body);
  }

  function bodyBuffer(body) {
    if (body === null) return ReflectApply(TypedArrayBuffer, new Uint8ArrayCtor(0), []);
    if (typeof body === "string") {
      const bytes = encodeUtf8(body);
      return ReflectApply(TypedArrayBuffer, bytes, []);
    }
    return body;
  }

  function settled(compute) {
    return new PromiseCtor((resolve) => resolve(compute()));
  }

  function usedError() {
    return new TypeErrorCtor("the body has already been read");
  }

  // ---- Request --------------------------------------------------------------------

  const METHODS = ObjectFreeze({
    __proto__: null,
    delete: "DELETE",
    get: "GET",
    head: "HEAD",
    options: "OPTIONS",
    post: "POST",
    put: "PUT",
    patch: "PATCH",
  });
  const REDIRECTS = ObjectFreeze({ __proto__: null, follow: true, manual: true, error: true });

  function normalizeMethod(method) {
    const m = StringCtor(method);
    if (!isToken(m)) throw new TypeErrorCtor(`fetch: "${m}" is not a valid HTTP method`);
    const known = METHODS[lower(m)];
    const out = known === undefined ? m : known;
    const upper = ReflectApply(StringPrototypeToUpperCase, out, []);
    if (upper === "CONNECT" || upper === "TRACE" || upper === "TRACK")
      throw new TypeErrorCtor(`fetch: the method ${m} is forbidden`);
    return out;
  }

  let requestParts; // request → { method, url, headers, body, redirect, signal } (its own state)
  let isRequest;

  class Request {
    #method = "GET";
    #url = "";
    #headers;
    #body = null;
    #bodyUsed = false;
    #redirect = "follow";
    #signal = null;
    static {
      requestParts = (r) => ({
        __proto__: null,
        method: r.#method,
        url: r.#url,
        headers: r.#headers,
        body: r.#body,
        redirect: r.#redirect,
        signal: r.#signal,
      });
      isRequest = (r) => r !== null && typeof r === "object" && #url in r;
    }
    constructor(input, init) {
      const base = isRequest(input) ? input : null;
      if (init !== undefined && init !== null && typeof init !== "object")
        throw new TypeErrorCtor("Request: init must be an object");
      const options = init === undefined || init === null ? {} : init;
      if (base !== null && base.#bodyUsed) throw new TypeErrorCtor("Request: the input request's body was already used");
      this.#url = base !== null ? base.#url : StringCtor(input);
      const method = options.method;
      this.#method = method !== undefined ? normalizeMethod(method) : base !== null ? base.#method : "GET";
      const headers = options.headers;
      this.#headers = new Headers(headers !== undefined ? headers : base !== null ? base.#headers : undefined);
      const body = options.body;
      this.#body = body !== undefined ? extractBody(body) : base !== null ? copyBody(base.#body) : null;
      if (this.#body !== null && (this.#method === "GET" || this.#method === "HEAD"))
        throw new TypeErrorCtor(`Request: a ${this.#method} request cannot have a body`);
      if (typeof this.#body === "string" && !this.#headers.has("content-type"))
        this.#headers.set("content-type", isSearchParams(body) ? "application/x-www-form-urlencoded;charset=UTF-8" : "text/plain;charset=UTF-8");
      const redirect = options.redirect;
      if (redirect !== undefined) {
        const r = StringCtor(redirect);
        if (!REDIRECTS[r]) throw new TypeErrorCtor(`Request: redirect must be "follow", "manual" or "error", not "${r}"`);
        this.#redirect = r;
      } else if (base !== null) {
        this.#redirect = base.#redirect;
      }
      const signal = options.signal;
      if (signal !== undefined && signal !== null) {
        if (!isSignal(signal)) throw new TypeErrorCtor("Request: signal must be an AbortSignal");
        this.#signal = signal;
      } else if (signal === undefined && base !== null) {
        this.#signal = base.#signal;
      }
    }
    get method() {
      return this.#method;
    }
    get url() {
      return this.#url;
    }
    get headers() {
      return this.#headers;
    }
    get redirect() {
      return this.#redirect;
    }
    get signal() {
      return this.#signal;
    }
    get bodyUsed() {
      return this.#bodyUsed;
    }
    #take() {
      if (this.#bodyUsed) throw usedError();
      this.#bodyUsed = true;
      return this.#body;
    }
    text() {
      return settled(() => bodyText(this.#take()));
    }
    json() {
      return settled(() => JSONParse(bodyText(this.#take())));
    }
    arrayBuffer() {
      return settled(() => bodyBuffer(copyBody(this.#take())));
    }
    clone() {
      if (this.#bodyUsed) throw usedError();
      return new Request(this);
    }
    get [Symbol.toStringTag]() {
      return "Request";
    }
  }

  // ---- Response -------------------------------------------------------------------

  const INTERNAL = ObjectFreeze({ __proto__: null });
  let makeResponse; // (status, statusText, url, redirected, flatHeaders, buffer) → Response, from the host's answer

  class Response {
    #status = 200;
    #statusText = "";
    #headers;
    #url = "";
    #redirected = false;
    #body = null;
    #bodyUsed = false;
    static {
      makeResponse = (status, statusText, url, redirected, flat, buffer) => {
        const r = new Response(INTERNAL);
        r.#status = status;
        r.#statusText = statusText;
        r.#url = url;
        r.#redirected = redirected;
        r.#body = buffer;
        const entries = headersList(r.#headers);
        for (let i = 0; i + 1 < flat.length; i += 2) append(entries, { __proto__: null, name: lower(flat[i]), value: flat[i + 1] });
        headersFrozen(r.#headers);
        return r;
      };
    }
    constructor(body, init) {
      this.#headers = new Headers();
      if (body === INTERNAL) return;
      if (init !== undefined && init !== null && typeof init !== "object")
        throw new TypeErrorCtor("Response: init must be an object");
      const options = init === undefined || init === null ? {} : init;
      const status = options.status;
      if (status !== undefined) {
        const s = +status;
        if (!(s >= 200 && s <= 599) || s !== (s | 0)) throw new RangeErrorCtor(`Response: status ${StringCtor(status)} is not in 200-599`);
        this.#status = s;
      }
      if (options.statusText !== undefined) this.#statusText = StringCtor(options.statusText);
      if (options.headers !== undefined) this.#headers = new Headers(options.headers);
      this.#body = extractBody(body);
      if (typeof this.#body === "string" && !this.#headers.has("content-type"))
        this.#headers.set("content-type", "text/plain;charset=UTF-8");
    }
    static json(data, init) {
      const r = new Response(JSON.stringify(data), init);
      r.#headers.set("content-type", "application/json");
      return r;
    }
    get status() {
      return this.#status;
    }
    get statusText() {
      return this.#statusText;
    }
    get ok() {
      return this.#status >= 200 && this.#status <= 299;
    }
    get headers() {
      return this.#headers;
    }
    get url() {
      return this.#url;
    }
    get redirected() {
      return this.#redirected;
    }
    get type() {
      return this.#url === "" ? "default" : "basic";
    }
    get bodyUsed() {
      return this.#bodyUsed;
    }
    #take() {
      if (this.#bodyUsed) throw usedError();
      this.#bodyUsed = true;
      return this.#body;
    }
    text() {
      return settled(() => bodyText(this.#take()));
    }
    json() {
      return settled(() => JSONParse(bodyText(this.#take())));
    }
    // The buffer itself: nobody else holds it (clone() copies).
    arrayBuffer() {
      return settled(() => bodyBuffer(this.#take()));
    }
    clone() {
      if (this.#bodyUsed) throw usedError();
      const r = new Response(INTERNAL);
      r.#status = this.#status;
      r.#statusText = this.#statusText;
      r.#url = this.#url;
      r.#redirected = this.#redirected;
      r.#body = copyBody(this.#body);
      r.#headers = new Headers(this.#headers);
      headersFrozen(r.#headers);
      return r;
    }
    get [Symbol.toStringTag]() {
      return "Response";
    }
  }

  // ---- the requests in flight --------------------------------------------------

  const inFlight = new MapCtor(); // op → record, through captured Map methods only
  const waiting = list(); // records waiting for a free slot, in order
  let waitingHead = 0;
  let running = 0;

  // Starts waiting requests while fewer than MAX_IN_FLIGHT run.
  function pump() {
    while (running < MAX_IN_FLIGHT && waitingHead < waiting.length) {
      const record = waiting[waitingHead];
      waiting[waitingHead] = undefined;
      ++waitingHead;
      if (record.done) continue;
      let op;
      try {
        op = hostFetch(record.method, record.url, record.binding, record.headers, record.redirect, record.body);
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
    const unlisten = record.unlisten;
    for (let i = 0; i < unlisten.length; ++i) unlisten[i]();
    if (record.op !== 0) {
      ReflectApply(MapPrototypeDelete, inFlight, [record.op]);
      --running;
    }
  }

  function abortRecord(record, reason) {
    if (record.done) return;
    const op = record.op;
    finish(record);
    if (op !== 0) hostCancelOp(op);
    record.reject(reason);
    pump();
  }

  // The host's answer to operation `op`: (op, true, status, statusText, url,
  // redirected, [name, value, …], ArrayBuffer) or (op, false, message).
  function completeOp(op, ok, a, b, c, d, e, f) {
    const record = ReflectApply(MapPrototypeGet, inFlight, [op]);
    if (record === undefined) return;
    finish(record);
    if (ok) record.resolve(makeResponse(a, b, c, d, e, f));
    else record.reject(new TypeErrorCtor(a));
    pump();
  }

  function isAbsoluteHttp(url) {
    const head = lower(ReflectApply(StringPrototypeSlice, url, [0, 8]));
    return ReflectApply(StringPrototypeSlice, head, [0, 7]) === "http://" || head === "https://";
  }

  function fetchThrough(binding, input, init) {
    return new PromiseCtor((resolve, reject) => {
      const request = isRequest(input) && init === undefined ? input : new Request(input, init);
      const parts = requestParts(request);
      const url = parts.url;
      if (binding === "") {
        if (!isAbsoluteHttp(url)) throw new TypeErrorCtor(`fetch needs an absolute http(s) URL, not "${url}"`);
      } else if (ReflectApply(StringPrototypeCharCodeAt, url, [0]) !== 47 /* / */) {
        throw new TypeErrorCtor(`env.${binding}.fetch takes a path under the service, such as "/v1/items", not "${url}"`);
      }
      const signal = parts.signal;
      if (signal !== null && signalAborted(signal)) throw signalReason(signal);
      const callSignal = runSignal();
      if (signalAborted(callSignal)) throw signalReason(callSignal);
      const entries = headersList(parts.headers);
      const headers = list();
      for (let i = 0; i < entries.length; ++i) {
        append(headers, entries[i].name);
        append(headers, entries[i].value);
      }
      const record = {
        __proto__: null,
        op: 0,
        done: false,
        resolve,
        reject,
        method: parts.method,
        url,
        binding,
        headers,
        redirect: parts.redirect,
        body: parts.body === null ? undefined : parts.body,
        unlisten: list(),
      };
      append(record.unlisten, signalListen(callSignal, () => abortRecord(record, signalReason(callSignal))));
      if (signal !== null) append(record.unlisten, signalListen(signal, () => abortRecord(record, signalReason(signal))));
      append(waiting, record);
      pump();
    });
  }

  function fetch(input, init) {
    return fetchThrough("", input, init);
  }

  function makeService(name) {
    return ObjectFreeze({ fetch: (input, init) => fetchThrough(name, input, init) });
  }

  return { fetch, Request, Response, Headers, completeOp, makeService, DOMException };
}
