// Stands in for zod's locales/index.js in the bundle: tools get English messages
// only, which keeps ~40 translations (about a third of zod's size) out of every
// context the helper prepares.
export { default as en } from "zod/v4/locales/en.js";
