// Benchmark variant: the same worker, but the module is instantiated,
// initialized and configured in global scope instead of on first use.
import { env } from "cloudflare:workers";
import { warm } from "../../worker/bridge.js";

warm(env);

export { default, StateObject } from "../../worker/index.js";
