// One Durable Object per state id. It runs the C owner stage and does what
// C asks: the schema when it starts, read batches, commit batches in one
// transactionSync (all or nothing), and, for live sync, accepting sockets
// (hibernatable) and sending the frames C decided on to the sockets C named.
// It decides nothing: the statements, their parameters, what the answer is
// and who is told all come from C.
//
// Requests and socket events to one object never interleave: each waits for
// the one before it to finish, since a sync hook's call to the plugins
// worker (and the test build's wait) yields; and the output gate holds each
// answer until its writes are durable.
import { DurableObject } from "cloudflare:workers";
import { limits, owner, Replaced, RUNS, schema } from "./bridge.js";
import { failure, fromRequest, logError, socketEvent, toResponse } from "./envelope.js";
import { ACTION, EMPTY, FLAG, FRAME, readBatch, readFrames, utf8, writeRows } from "./layout.js";
import { plugins } from "./edge.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const OPEN = 1; // WebSocket.READY_STATE_OPEN

export class StateObject extends DurableObject {
  #turn = Promise.resolve(); // settles when the request before the next one has finished

  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const { ddl, statements } = schema(env);
    this.statements = statements;
    this.sql.exec(ddl);
    // The protocol's keepalive, answered by the runtime without waking the
    // object, so sockets can hibernate.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
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

  // Runs fn after every request and socket event before it.
  #inTurn(fn) {
    const turn = this.#turn.then(fn);
    this.#turn = turn.catch(() => {});
    return turn;
  }

  // RPC from the edge: bytes is the request envelope, grant what the edge
  // decided about the caller, requestId the edge's. A failure in the module
  // (the bridge has discarded the instance) answers 500 with the request
  // id; a commit is all or nothing, so nothing is half-written. A committed
  // write keeps its prepared answer whatever happens after. When the
  // instance was replaced by another request's trap before anything was
  // stored, the request simply runs again.
  async handle(bytes, grant, requestId) {
    const { status, head, body } = await this.#inTurn(() => this.#run(bytes, grant, requestId, null));
    return { status, head, body };
  }

  // The live upgrade, from the edge (worker/edge.js), with the edge's grant
  // and request id in x-cw-grant and x-cw-request-id.
  async fetch(request) {
    const bytes = await fromRequest(request, 0);
    const h = request.headers;
    const result = await this.#inTurn(() => this.#run(bytes, h.get("x-cw-grant") ?? "", h.get("x-cw-request-id") ?? "", null));
    return toResponse(result);
  }

  // Socket events (the hibernation API): each is a request of its own to C,
  // with the attachment C gave the socket.
  #socket(ws, event, message) {
    const bytes = socketEvent(ws.deserializeAttachment()?.a, event, message, limits(this.env).body);
    return this.#inTurn(() => this.#run(bytes, "", "", ws));
  }
  webSocketMessage(ws, message) {
    return this.#socket(ws, "message", message);
  }
  webSocketClose(ws) {
    return this.#socket(ws, "close");
  }
  webSocketError(ws) {
    return this.#socket(ws, "close");
  }

  // The open sockets that have joined (C marked them), but except.
  #joined(except) {
    return this.ctx.getWebSockets().filter((ws) => ws !== except && ws.readyState === OPEN && ws.deserializeAttachment()?.j);
  }

  // {"n", "peers"}: the open sockets, and the attachments of the joined
  // ones but sender.
  #peers(sender) {
    const open = this.ctx.getWebSockets().filter((ws) => ws.readyState === OPEN).length;
    return `{"n":${open},"peers":[${this.#joined(sender).map((ws) => ws.deserializeAttachment().a).join(",")}]}`;
  }

  // Does what a result's frames ask, once its answer stands.
  #apply(frames, sender) {
    for (const { op, text } of readFrames(frames)) {
      try {
        if (op === FRAME.attach || op === FRAME.join) {
          sender.serializeAttachment({ j: op === FRAME.join || !!sender.deserializeAttachment()?.j, a: text });
        } else if (op === FRAME.close) {
          const at = text.indexOf(" ");
          sender.close(Number(text.slice(0, at)), text.slice(at + 1));
        } else if (op === FRAME.sender) {
          sender?.send(text);
        } else {
          for (const ws of this.#joined(op === FRAME.all ? null : sender))
            try {
              ws.send(text);
            } catch {} // closing meanwhile: its close event comes
        }
      } catch {} // the sender is gone: nothing to tell it
    }
  }

  async #run(bytes, grant, requestId, sender) {
    let flags = 0;
    for (let runs = 0; ; runs++) {
      let result, run, committed, socket, server;
      try {
        run = owner(this.env, bytes, grant, requestId, Date.now(), flags);
        result = run.result;
        while (result.action) {
          let answer = { status: 200, body: EMPTY };
          if (result.action === ACTION.read) {
            try {
              answer.body = this.#read(result.input);
            } catch (e) {
              logError("storage read failed", requestId, e);
              answer.status = 0;
            }
          } else if (result.action === ACTION.commit) {
            try {
              this.#commit(result.input);
              committed = result;
            } catch (e) {
              logError("storage commit failed", requestId, e);
              answer.status = 0;
            }
          } else if (result.action === ACTION.call) {
            answer = await plugins(this.env, "call", result.ask, result.input);
          } else if (result.action === ACTION.peers) {
            answer.body = utf8.encode(this.#peers(sender));
          } else if (result.action === ACTION.accept) {
            const [client, end] = Object.values(new WebSocketPair());
            server = end;
            this.ctx.acceptWebSocket(server);
            server.serializeAttachment({ j: false, a: result.ask });
            socket = client;
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
          try {
            result = run.resume(answer.status, "", answer.body, Date.now());
          } catch (e) {
            if (!committed) throw e;
            result = committed; // stored: the prepared answer stands
            break;
          }
        }
        if (!run) continue;
      } catch (e) {
        if (e instanceof Replaced && runs < RUNS - 1 && !committed) continue;
        result = committed ?? failure(requestId, e);
      } finally {
        run?.free();
      }
      if (result.frames?.length) this.#apply(result.frames, sender);
      if (server && result.status !== 101) server.close(1011, "the upgrade failed");
      return { ...result, socket };
    }
  }
}
