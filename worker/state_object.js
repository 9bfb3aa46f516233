// One Durable Object per state id. It runs the C owner stage and does what
// C asks of storage: the schema when it starts, read batches, and commit
// batches in one transactionSync (all or nothing). It decides nothing: the
// statements, their parameters and what the answer is all come from C.
// Requests to one object never interleave: each waits for the one before it
// to finish, since a sync hook's call to the plugins worker (and the test
// build's wait) yields; and the output gate holds each answer until its
// writes are durable.
import { DurableObject } from "cloudflare:workers";
import { owner, Replaced, schema } from "./bridge.js";
import { failure } from "./envelope.js";
import { ACTION, FLAG, readBatch, writeRows } from "./layout.js";
import { plugins } from "./edge.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class StateObject extends DurableObject {
  #turn = Promise.resolve(); // settles when the request before the next one has finished

  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.statements = schema(env).statements;
    this.sql.exec(schema(env).ddl);
  }

  #read(batch) {
    return writeRows(readBatch(batch).map(({ stmt, params }) => [...this.sql.exec(this.statements[stmt], ...params).raw()]));
  }

  #commit(batch) {
    const ops = readBatch(batch);
    this.ctx.storage.transactionSync(() => {
      for (const { stmt, params } of ops) this.sql.exec(this.statements[stmt], ...params);
    });
  }

  // RPC from the edge: bytes is the request envelope, grant what the edge
  // decided about the caller, requestId the edge's. A failure in the module
  // (the bridge has discarded the instance) answers 500 with the request
  // id; a commit is all or nothing, so nothing is half-written. A committed
  // write keeps its prepared answer whatever happens after. When the
  // instance was replaced by another request's trap before anything was
  // stored, the request simply runs again.
  handle(bytes, grant, requestId) {
    const turn = this.#turn.then(() => this.#run(bytes, grant, requestId));
    this.#turn = turn.catch(() => {});
    return turn;
  }

  async #run(bytes, grant, requestId) {
    let flags = 0;
    for (let runs = 0; ; runs++) {
      let result, run, committed;
      try {
        run = owner(this.env, bytes, grant ?? "", requestId, Date.now(), flags);
        result = run.result;
        while (result.action) {
          if (result.action === ACTION.read) {
            let rows = null;
            try {
              rows = this.#read(result.input);
            } catch (e) {
              console.error(JSON.stringify({ level: "error", msg: "storage read failed", request_id: requestId, cause: String(e) }));
            }
            result = run.resume(rows ? 200 : 0, "", rows ?? new Uint8Array(0), Date.now());
          } else if (result.action === ACTION.commit) {
            const prepared = result;
            try {
              this.#commit(result.input);
              committed = prepared;
            } catch (e) {
              console.error(JSON.stringify({ level: "error", msg: "storage commit failed", request_id: requestId, cause: String(e) }));
            }
            try {
              result = run.resume(committed ? 200 : 0, "", new Uint8Array(0), Date.now());
            } catch (e) {
              if (!committed) throw e;
              result = committed; // stored: the prepared answer stands
            }
          } else if (result.action === ACTION.call) {
            const answer = await plugins(this.env, "call", result.ask, result.input);
            result = run.resume(answer.status, "", answer.body, Date.now());
          } else if (result.action === ACTION.wait) {
            // Test builds only: hold the request, then run it again.
            run.free();
            run = null;
            await sleep(Number(result.ask));
            flags |= FLAG.waited;
            break;
          } else {
            throw new Error(`unexpected action ${result.action} in the owner stage`);
          }
        }
        if (!run) continue;
      } catch (e) {
        if (e instanceof Replaced && runs < 2 && !committed) continue;
        result = committed ?? failure(requestId, e);
      } finally {
        run?.free();
      }
      return { status: result.status, head: result.head, body: result.body };
    }
  }
}
