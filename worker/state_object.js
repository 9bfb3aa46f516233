// One Durable Object per state id: holds the stored blob in SQLite and runs
// the C owner stage against it. Load, apply and store happen synchronously in
// one call, so requests to one id never interleave, and the response is held
// by the output gate until the write is durable.
import { DurableObject } from "cloudflare:workers";
import { owner, Replaced } from "./bridge.js";
import { failure } from "./envelope.js";
import { ACTION, FLAG } from "./layout.js";
import { callPlugin } from "./plugins.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class StateObject extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS state (k INTEGER PRIMARY KEY CHECK (k = 0), blob TEXT NOT NULL)");
  }

  // RPC from the edge: bytes is the request envelope, requestId the edge's.
  // Sync hook plugins run here, synchronously, before the commit. A failure
  // in the module (the bridge has discarded the instance) or in storage
  // answers 500 with the request id; the write is one statement, so nothing
  // is half-written. When the instance was replaced by another request's
  // trap before anything was stored, the request simply runs again.
  async handle(bytes, requestId) {
    let flags = 0;
    for (let runs = 0; ; runs++) {
      let result, run;
      try {
        const row = this.sql.exec("SELECT blob FROM state WHERE k = 0").toArray()[0];
        run = owner(this.env, bytes, row ? row.blob : "", requestId, performance.now(), flags);
        result = run.result;
        while (result.action === ACTION.call) {
          const answer = callPlugin(this.env, result.forward, result.input);
          result = run.resume(answer.status, "", answer.body, performance.now());
        }
        if (result.action === ACTION.wait) {
          // Test builds only: hold the request, then run it again.
          run.free();
          run = null;
          await sleep(Number(result.forward));
          flags |= FLAG.waited;
          continue;
        }
        if (result.action) throw new Error(`unexpected action ${result.action} in the owner stage`);
        if (result.commit && result.status === 200) {
          this.sql.exec(
            "INSERT INTO state (k, blob) VALUES (0, ?) ON CONFLICT (k) DO UPDATE SET blob = excluded.blob",
            result.commit,
          );
        }
      } catch (e) {
        if (e instanceof Replaced && runs < 2) continue;
        result = failure(requestId, e);
      } finally {
        run?.free();
      }
      return { status: result.status, head: result.head, body: result.body };
    }
  }
}
