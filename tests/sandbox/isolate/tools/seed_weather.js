// The seed's tool shape: a plain script, `z` and `defineTool` as globals.
defineTool({
  name: "get_weather",
  description: "Current weather for a city",
  inputSchema: z.object({
    city: z.string().describe("City name"),
    units: z.enum(["metric", "imperial"]).default("metric"),
  }),
  annotations: { readOnlyHint: true },
  run: async (input, { env }) => {
    console.log(`looking up ${input.city}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { city: input.city, units: input.units, temperature: 21, source: env.WEATHER_SOURCE ?? "none" };
  },
});
