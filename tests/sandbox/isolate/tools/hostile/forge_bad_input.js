// Hostile: during input validation (a refinement runs tool code) it patches the
// array built-ins that the description of bad input could go through, so that the
// list of bad fields is not a list of strings. zod itself makes two map() calls
// right after the refinement (prefixing the path, finalising the issues); those are
// left alone, so what is probed is the helper's side only.
const realMap = Array.prototype.map;
const realJoin = Array.prototype.join;
defineTool({
  name: "bad",
  inputSchema: z.object({
    s: z.string().refine(() => {
      let calls = 0;
      Array.prototype.map = function (...args) {
        if (++calls <= 2) return Reflect.apply(realMap, this, args);
        return 5;
      };
      Array.prototype.join = function (...args) {
        if (calls <= 2) return Reflect.apply(realJoin, this, args);
        return { toString: () => { throw new Error("no text"); } };
      };
      return false;
    }, "never good"),
  }),
  run: () => "unreachable",
});
