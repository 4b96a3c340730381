// Hostile: throws (or rejects with) values that cannot be turned into a string the
// ordinary way: symbols, proxies, objects whose conversion throws.
const values = {
  symbol: () => Symbol("secret sauce"),
  bareSymbol: () => Symbol(),
  proxy: () => new Proxy({}, { get() { throw new Error("trap"); }, getPrototypeOf() { throw new Error("trap"); } }),
  revokedProxy: () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  toStringThrows: () => ({
    toString() {
      throw new Error("no string for you");
    },
  }),
  toPrimitiveSymbol: () => ({ [Symbol.toPrimitive]: () => Symbol("sneaky") }),
  messageGetterThrows: () => {
    const error = new RangeError("real message");
    Object.defineProperty(error, "message", {
      get() {
        throw new Error("no message for you");
      },
    });
    Object.defineProperty(error, "stack", {
      get() {
        throw new Error("no stack either");
      },
    });
    return error;
  },
  nullPrototype: () => Object.create(null),
  hugeString: () => "x".repeat(4 << 20),
};

defineTool({
  name: "thrower",
  inputSchema: z.object({ variant: z.string(), async: z.boolean() }),
  run: ({ variant, async }) => {
    const value = values[variant]();
    if (async) return Promise.reject(value);
    throw value;
  },
});
