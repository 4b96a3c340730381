// Preloaded (node -r) into the MCP servers the HTTP tests start: Node 18, Debian 12's
// nodejs, has no global Web Crypto, and the MCP SDK's HTTP server transport calls
// crypto.randomUUID() on every request. Newer Node already has it: nothing changes.
globalThis.crypto ??= require("node:crypto").webcrypto;
