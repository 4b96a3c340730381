// Object bindings over the helper's op channel (tst_isolate_bindings): what the
// host receives, and how its answers look to a tool.

defineTool({
  name: "put_bytes",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    const bytes = new Uint8Array([9, 0, 1, 2, 255, 9]).subarray(1, 5);
    const o = await env.BUCKET.put("k/1", bytes, {
      httpMetadata: new Headers({ "content-type": "application/x-test" }),
      customMetadata: { a: "b" },
    });
    return {
      key: o.key,
      uploadedIsDate: o.uploaded instanceof Date,
      uploaded: o.uploaded.getTime(),
      md5Bytes: o.checksums.md5.byteLength,
      checksumsJson: JSON.parse(JSON.stringify(o.checksums)),
      expiryIsDate: o.httpMetadata.cacheExpiry instanceof Date,
    };
  },
});

defineTool({
  name: "put_options",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    await env.BUCKET.put("k/2", "text é", {
      httpMetadata: { contentType: "text/plain", cacheExpiry: new Date(86400000) },
      onlyIf: { etagDoesNotMatch: "*" },
    });
    return "ok";
  },
});

defineTool({
  name: "get_body",
  inputSchema: z.object({ key: z.string() }),
  run: async ({ key }, { env }) => {
    const o = await env.BUCKET.get(key);
    if (o === null) return null;
    return { text: await o.text(), size: o.size, hasText: typeof o.text === "function" };
  },
});

defineTool({
  name: "fails",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    try {
      await env.BUCKET.head("k");
      return "resolved";
    } catch (e) {
      return { isError: e instanceof Error, message: e.message };
    }
  },
});

defineTool({
  name: "many",
  inputSchema: z.object({ n: z.number() }),
  run: async ({ n }, { env }) => {
    const all = [];
    for (let i = 0; i < n; ++i) all.push(env.BUCKET.head(`k/${i}`));
    return (await Promise.all(all)).filter((o) => o !== null).length;
  },
});

defineTool({
  name: "hostile",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    JSON.parse = () => ({ key: "forged" });
    Map.prototype.get = () => undefined;
    Object.defineProperty(Object.prototype, "key", { get: () => "polluted", configurable: true });
    const o = await env.BUCKET.head("k/real");
    delete Object.prototype.key;
    return o.key;
  },
});

defineTool({
  name: "mail",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    const a = await env.EMAIL.send({ from: "a@example.com", to: ["b@example.com"], subject: "s", text: "t" });
    const b = await env.EMAIL.send({ from: "a@example.com", to: "b@example.com", raw: new TextEncoder().encode("Subject: r\n\nx") });
    return [a.messageId, b.messageId, Object.isFrozen(env.EMAIL), typeof env.EMAIL.put];
  },
});
