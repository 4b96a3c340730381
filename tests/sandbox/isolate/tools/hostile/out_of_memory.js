// Hostile: ways to run out of memory in one go rather than step by step, each
// bigger than the JavaScript heap or the ArrayBuffer budget at once.
const ways = {
  // One allocation far past the heap (V8 gives up with "invalid array length").
  arrayFill: () => new Array(1e9).fill(0).length,
  // A 512 MiB string in one allocation (repeat makes a rope; indexOf flattens it).
  repeat: () => "x".repeat(2 ** 29 - 64).indexOf("y"),
  // Doubling a string and flattening it each time.
  concat: () => {
    let s = "ab";
    for (;;) {
      s = s + s;
      s.indexOf("c"); // flattens the rope
    }
  },
  arrayBuffer: () => new ArrayBuffer(2 ** 31).byteLength,
  typedArray: () => new Float64Array(2 ** 27).fill(1).length,
  manyBuffers: () => {
    const keep = [];
    for (;;) keep.push(new Uint8Array(1 << 20).fill(1));
  },
  objects: () => {
    const keep = [];
    for (;;) keep.push({ a: keep.length, b: [keep.length] });
  },
};

defineTool({
  name: "oom",
  inputSchema: z.object({ way: z.string() }),
  run: ({ way }) => ways[way](),
});
