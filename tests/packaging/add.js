import { z } from "zod";
import { defineTool } from "airlock";

export default defineTool({
  name: "add",
  description: "Adds two integers",
  inputSchema: z.object({
    a: z.number().int().describe("first"),
    b: z.number().int().min(0).max(100).describe("second, 0-100"),
  }),
  run: async ({ a, b }, { log }) => {
    log.info("adding", a, b);
    return a + b;
  },
});
