// "cloudflare:workers" for tests/host/workers.mjs: the base classes the
// worker's entry and Durable Object extend, as workerd gives them.
export class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

export class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

export class RpcTarget {}
export const env = {};
