// Hostile results: nested deeper than JSON readers accept, cyclic, BigInt, huge,
// sparse, or produced by toJSON / getters / proxies that misbehave.
function nest(depth) {
  let value = 0;
  for (let i = 0; i < depth; ++i) value = [value];
  return value;
}
function nestObjects(depth) {
  let value = {};
  for (let i = 0; i < depth; ++i) value = { down: value };
  return value;
}
const shapes = {
  deep2000: () => nest(2000),
  deepObjects5000: () => nestObjects(5000),
  deep100: () => nest(100),
  deepViaToJSON: () => {
    const step = (n) => ({ toJSON: () => (n === 0 ? 0 : [step(n - 1)]) });
    return step(3000);
  },
  cycle: () => {
    const a = { b: {} };
    a.b.a = a;
    return a;
  },
  bigint: () => ({ n: 10n }),
  hugeInner: () => ({ s: "y".repeat(2 << 20) }),
  manySmall: () => Array.from({ length: 300000 }, (_, i) => "item" + i),
  sparse: () => {
    const a = [];
    a.length = 1e9;
    return a;
  },
  getterThrows: () => ({
    get boom() {
      throw new TypeError("getter says no");
    },
  }),
  proxy: () =>
    new Proxy(
      { a: 1 },
      {
        ownKeys: () => ["a", "b"],
        getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }),
        get: (target, key) => (key === "b" ? "from the trap" : target[key]),
      },
    ),
  revokedProxy: () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
  toJSONHooks: () => ({ date: new Date(0), nested: { toJSON: (key) => `key was ${key}` }, skip: undefined, f() {} }),
  boxed: () => [new Number(3), new String("s"), new Boolean(false), -0, NaN, Infinity, null, undefined, () => 1],
  unicode: () => ({ "k\u00e9y": "\u20ac\ud800\"\n" }),
};

defineTool({
  name: "shape",
  inputSchema: z.object({ shape: z.string() }),
  run: ({ shape }) => shapes[shape](),
});
