// Checks the fake model server's framing with the official SDKs (a manual check:
// the suite does not depend on npm). Usage, from a folder where
// `npm install @anthropic-ai/sdk openai` was run:
//   node sdk-check.mjs anthropic PORT   |   node sdk-check.mjs openai PORT
// Prints what the SDK decoded, one line per event, for comparison with our decoder.
const [kind, port] = process.argv.slice(2);
if (kind === 'anthropic') {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const client = new Anthropic({ apiKey: 'sk-check', baseURL: `http://127.0.0.1:${port}`, maxRetries: 1 });
  const stream = client.messages.stream({
    model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  stream.on('text', (t) => console.log('text:' + t));
  const message = await stream.finalMessage();
  for (const block of message.content) {
    if (block.type === 'tool_use') console.log(`tool:${block.id}:${block.name}:${JSON.stringify(block.input)}`);
  }
  const u = message.usage;
  console.log(`usage:in=${u.input_tokens},out=${u.output_tokens},cache_write=${u.cache_creation_input_tokens ?? 0},cache_read=${u.cache_read_input_tokens ?? 0}`);
  console.log(`stop:${message.stop_reason}`);
} else {
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ apiKey: 'sk-check', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 1 });
  const stream = await client.chat.completions.create({
    model: 'm', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  });
  const calls = [];
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      if (c.delta?.content) console.log('text:' + c.delta.content);
      for (const tc of c.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { id: '', name: '', args: '' };
        if (tc.id) calls[tc.index].id = tc.id;
        if (tc.function?.name) calls[tc.index].name = tc.function.name;
        if (tc.function?.arguments) calls[tc.index].args += tc.function.arguments;
      }
      if (c.finish_reason) {
        for (const call of calls) console.log(`tool:${call.id}:${call.name}:${JSON.stringify(JSON.parse(call.args || '{}'))}`);
        console.log('finish:' + c.finish_reason);
      }
    }
    if (chunk.usage) console.log(`usage:prompt=${chunk.usage.prompt_tokens},completion=${chunk.usage.completion_tokens}`);
  }
}
