// The rest of the r2 API and the email binding, from a tool: what each call
// returned, as plain JSON for the test to check.

defineTool({
  name: "r2_tour",
  description: "put, head, get (whole, range, json, bytes), list with a delimiter and paging, delete.",
  inputSchema: z.object({ prefix: z.string() }),
  run: async ({ prefix }, { env }) => {
    const b = env.PUBLIC_BUCKET;
    const out = { frozen: Object.isFrozen(b) };
    const put = await b.put(`${prefix}/a.json`, JSON.stringify({ n: 1 }), {
      httpMetadata: new Headers({ "Content-Type": "application/json", "Cache-Control": "max-age=60" }),
      customMetadata: { owner: "tour" },
    });
    out.put = { key: put.key, size: put.size, etag: put.etag, uploadedIsDate: put.uploaded instanceof Date,
                contentType: put.httpMetadata.contentType, tag: Object.prototype.toString.call(put) };
    await b.put(`${prefix}/b.bin`, new Uint8Array([0, 1, 2, 255]));
    // s3rver fails a many-key delete that empties a folder (it removes the folder
    // once per key, in parallel): "keep" stays until the end.
    await b.put(`${prefix}/keep`, null);
    await b.put(`${prefix}/sub/c.txt`, new TextEncoder().encode("hello, range").buffer, { httpMetadata: { contentType: "text/plain" } });
    const head = await b.head(`${prefix}/a.json`);
    out.head = { size: head.size, owner: head.customMetadata.owner, cacheControl: head.httpMetadata.cacheControl };
    out.missingHead = await b.head(`${prefix}/nope`);
    out.missingGet = await b.get(`${prefix}/nope`);
    const got = await b.get(`${prefix}/a.json`);
    out.json = await got.json();
    out.bodyUsed = got.bodyUsed;
    try {
      await got.text();
      out.secondRead = "allowed";
    } catch (e) {
      out.secondRead = e.message;
    }
    const h = new Headers();
    got.writeHttpMetadata(h);
    out.written = { contentType: h.get("content-type"), cacheControl: h.get("cache-control") };
    const bytes = new Uint8Array(await (await b.get(`${prefix}/b.bin`)).arrayBuffer());
    out.bytes = Array.from(bytes);
    const part = await b.get(`${prefix}/sub/c.txt`, { range: { offset: 7, length: 5 } });
    out.range = { text: await part.text(), range: part.range };
    const top = await b.list({ prefix: `${prefix}/`, delimiter: "/" });
    out.list = { keys: top.objects.map((o) => o.key), prefixes: top.delimitedPrefixes, truncated: top.truncated };
    const page1 = await b.list({ prefix: `${prefix}/`, limit: 2 });
    const page2 = await b.list({ prefix: `${prefix}/`, limit: 2, cursor: page1.cursor });
    out.pages = { first: page1.objects.map((o) => o.key), truncated: page1.truncated,
                  second: page2.objects.map((o) => o.key), secondTruncated: page2.truncated };
    await b.delete(`${prefix}/a.json`);
    await b.delete([`${prefix}/b.bin`, `${prefix}/sub/c.txt`, `${prefix}/never`]);
    out.afterDelete = (await b.list({ prefix: `${prefix}/` })).objects.map((o) => o.key);
    await b.delete(`${prefix}/keep`);
    out.gone = await b.head(`${prefix}/keep`);
    return out;
  },
});

defineTool({
  name: "r2_put_only",
  description: "One put; its error, if any, is the call's.",
  inputSchema: z.object({ key: z.string() }),
  run: async ({ key }, { env }) => {
    const o = await env.PUBLIC_BUCKET.put(key, "x");
    return o.key;
  },
});

defineTool({
  name: "mail_send",
  description: "Sends a built message and a raw one.",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    const built = await env.EMAIL.send({
      from: { email: "bot@example.com", name: "Report Bot" },
      to: "ann@example.com",
      cc: ["cat@example.com"],
      bcc: "dan@example.com",
      subject: "Report ready",
      text: "The report is at the usual place.\n",
      headers: { "X-Tool": "mail_send" },
    });
    const raw = await env.EMAIL.send({
      from: "bot@example.com",
      to: "ann@example.com",
      raw: "From: bot@example.com\nTo: ann@example.com\nSubject: Raw hello\n\nA raw body.\n",
    });
    return { built: built.messageId, raw: raw.messageId };
  },
});

defineTool({
  name: "mail_outside",
  description: "Sends to a recipient no rule allows.",
  inputSchema: z.object({}),
  run: async (_, { env }) => {
    await env.EMAIL.send({ from: "bot@example.com", to: "eve@evil.example.org", subject: "hi", text: "hi" });
    return "sent";
  },
});
