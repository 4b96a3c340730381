// Hostile: WebAssembly memory lives outside the JavaScript heap and outside the
// ArrayBuffer allocator; this fills 512 MiB of it, far over a 32 MiB limit.
defineTool({
  name: "wasm",
  run: () => {
    const keep = [];
    for (let i = 0; i < 8; ++i) {
      const memory = new WebAssembly.Memory({ initial: 1024 }); // 64 MiB
      new Uint8Array(memory.buffer).fill(1);
      keep.push(memory);
    }
    return keep.length * 64;
  },
});
