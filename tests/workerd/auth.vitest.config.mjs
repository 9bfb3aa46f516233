// The in-workerd tests with document tokens: the same workers as
// vitest.config.mjs, with STATE_KEYS set (two keys, as during a rotation),
// so every state route requires a token.
import { workerdConfig } from "./vitest.config.mjs";

// 32 bytes each, base64url; tests/workerd/auth/tokens.js signs with them.
export const KEYS = { k1: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", k2: "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA" };

export default workerdConfig(["tests/workerd/auth/*.test.js"], { STATE_KEYS: JSON.stringify(KEYS) });
