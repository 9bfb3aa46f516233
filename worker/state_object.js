// One Durable Object per state id. It runs the C owner stage in one call
// per request, and is the module's host port (src/port.h) while that call
// runs: the reads C names, the batch of writes C commits (one
// transactionSync), the socket list, a socket's attachment, accepting a
// socket. Then it does what the answer says: hold the answer's body for
// the next GET of its version, send the frames C decided on to the
// sockets C named. It decides nothing: the statements, their parameters,
// the answer, who is told and who is closed all come from C.
//
// A request that needs nothing that yields runs to its end without an
// await, so no other request or socket event interleaves with it. One that
// does yield (a sync hook's call to the plugins worker; the test build's
// wait) makes every later one wait for it, in order; the output gate
// holds each answer until its writes are durable. A streamed answer (a
// document too large to hold whole, read from its rows a piece at a time
// as the reader pulls) holds the later ones back the same way until it
// ends, at most C's stream limit: past it the stream is cut off.
import { DurableObject } from "cloudflare:workers";
import { failed, limits, owner, Replaced, RUNS, schema } from "./bridge.js";
import { plugins, within } from "./edge.js";
import { fromRequest, logError, socketEvent, toResponse } from "./envelope.js";
import { ACTION, EMPTY, FLAG, FRAME, KEPT_UNSIZED, OWNER, readFrames, RESULT_FLAG, SOCKET, STAGE, text } from "./layout.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const OPEN = 1; // WebSocket.READY_STATE_OPEN

// A socket's attachment: the module's text (an older glue wrapped it).
const attachmentOf = (ws) => {
  const a = ws.deserializeAttachment();
  return typeof a === "string" ? a : (a?.a ?? "");
};

// What a request that waits settles to: promise's answer, or the late
// answer (OWNER.timeout) at due, a wall-clock time in ms (0: no bound).
// A request that runs through without waiting arms no timer.
const bounded = (promise, due) => (due ? within(promise, due - Date.now(), { status: OWNER.timeout, body: EMPTY }) : promise);

// Each instance of the object made in this isolate gets its own number:
// C trusts what it learnt of the object's storage only within the instance
// that learnt it (src/sync.c, known).
let incarnations = 0;

export class StateObject extends DurableObject {
  #incarnation = ++incarnations;
  #yielding = null; // settles when a request that yielded is done
  #streaming = null; // settles when a streamed answer has ended
  #hurry = null; // shortens the streamed answer's hold: another request waits
  #held = null; // { tag, body }: a GET answer C asked to hold
  #sockets = []; // the socket list C saw in the running call
  // The running call's sender (a socket, or null) and what the port left
  // for it: { socket, accepted, cause }. One call runs at a time (#serve).
  #sender = null;
  #out = null;
  #port = null; // the host port, made once

  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    const { ddl, statements } = schema(env);
    this.statements = statements;
    this.sql.exec(ddl);
    // The protocol's keepalive, answered by the runtime without waking the
    // object, so sockets can hibernate.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.#port = this.#makePort();
  }

  // The host port: what C asks of storage and the sockets for the running
  // call (#sender, #out).
  #makePort() {
    return {
      sql: (op, params) => this.sql.exec(this.statements[op], ...params).raw().toArray(),
      // All of the batch, or none of it.
      commit: (statements) =>
        this.ctx.storage.transactionSync(() => {
          for (const [op, params] of statements) this.sql.exec(this.statements[op], ...params);
        }),
      sockets: () => {
        this.#sockets = this.ctx.getWebSockets();
        return this.#sockets.map((ws) => [(ws.readyState === OPEN ? SOCKET.open : 0) | (ws === this.#sender ? SOCKET.sender : 0), attachmentOf(ws)]);
      },
      // The sender's, or (i) that of the socket at i of the last list.
      attach: (a, i) => (i === undefined ? this.#sender : this.#sockets[i]).serializeAttachment(a),
      accept: (a) => {
        const [client, server] = Object.values(new WebSocketPair());
        this.ctx.acceptWebSocket(server);
        this.#out.socket = client;
        this.#out.accepted = server; // closed by C's answer unless it is a 101
        server.serializeAttachment(a);
      },
      failed: (e) => (this.#out.cause = e),
    };
  }

  // RPC from the edge: envelope is the request's ({ head, body },
  // envelope.js), grant what the edge decided about the caller, requestId
  // the edge's, due the edge's wall-clock time (ms) by which it wants the
  // answer (C's deadline from its arrival; 0: none).
  handle(envelope, grant, requestId, due = 0) {
    return this.#serve(() => envelope, grant, requestId, null, 0, due);
  }

  // The live upgrade, from the edge (worker/edge.js), with the edge's grant
  // and request id in x-cw-grant and x-cw-request-id.
  async fetch(request) {
    const bytes = await fromRequest(request, 0);
    const h = request.headers;
    return toResponse(await this.#serve(() => bytes, h.get("x-cw-grant") ?? "", h.get("x-cw-request-id") ?? "", null, 0));
  }

  // Socket events (the hibernation API): each is a request of its own to
  // C, with the socket's attachment as it is when the request runs.
  #socket(ws, event, message, code) {
    return this.#serve(() => socketEvent(attachmentOf(ws), event, message, limits(this.env).frame, code), "", "", ws, FLAG.socket);
  }
  webSocketMessage(ws, message) {
    return this.#socket(ws, "message", message);
  }
  // C answers a client's close with one (the close completes).
  webSocketClose(ws, code) {
    return this.#socket(ws, "close", undefined, code);
  }
  webSocketError(ws) {
    return this.#socket(ws, "close");
  }

  // Runs a request now, or after the one that yielded. Only a request that
  // waits (behind another, or for what its own run asked) can miss its
  // due time: then it is answered as late (C makes that a 504) at the due
  // time, and goes on, so its write may still commit after the answer.
  #serve(make, grant, requestId, sender, flags, due = 0) {
    const wait = this.#yielding ?? this.#streaming;
    if (wait) {
      if (!this.#yielding) this.#hurry?.();
      return bounded(wait.then(() => this.#serve(make, grant, requestId, sender, flags)), due);
    }
    const answer = this.#run(make(), grant, requestId, sender, flags);
    if (!(answer instanceof Promise)) return answer;
    const done = (this.#yielding = answer.finally(() => {
      if (this.#yielding === done) this.#yielding = null;
    }));
    return bounded(done, due);
  }

  // One request: synchronous until the module asks for something that
  // yields; then the rest is a promise.
  #run(envelope, grant, requestId, sender, flags, runs = 0) {
    const out = { socket: null, accepted: null, cause: null };
    this.#sender = sender;
    this.#out = out;
    let run = null;
    let result;
    try {
      run = owner(this.env, envelope, grant, requestId, Date.now(), flags, this.#held?.tag ?? -1, this.#port, this.#incarnation);
      result = run.result;
    } catch (e) {
      run?.free();
      if (e instanceof Replaced && runs < RUNS - 1) return this.#run(envelope, grant, requestId, sender, flags, runs + 1);
      return this.#finish(failed(this.env, STAGE.owner, requestId, out.cause ?? e, out.accepted ? FLAG.accepted : 0), null, sender, out);
    }
    if (result.action) return this.#yield(run, result, envelope, grant, requestId, sender, flags, out, runs);
    return this.#finish(result, run, sender, out);
  }

  // The rest of a request that asked for something that yields.
  async #yield(run, result, envelope, grant, requestId, sender, flags, out, runs) {
    try {
      while (result.action) {
        if (result.action === ACTION.wait) {
          // Test builds only: hold the request, then run it again.
          run.free();
          await sleep(Number(result.ask));
          return this.#run(envelope, grant, requestId, sender, flags | FLAG.waited, runs);
        }
        if (result.action !== ACTION.call) throw new Error(`unexpected action ${result.action} in the owner stage`);
        const answer = await plugins(this.env, "call", result.ask, result.input.slice());
        result = run.resume(answer.status, "", answer.body, Date.now());
      }
    } catch (e) {
      run.free();
      if (e instanceof Replaced && runs < RUNS - 1) return this.#run(envelope, grant, requestId, sender, flags, runs + 1);
      return this.#finish(failed(this.env, STAGE.owner, requestId, out.cause ?? e, out.accepted ? FLAG.accepted : 0), null, sender, out);
    }
    return this.#finish(result, run, sender, out);
  }

  // The answer stands: keep what C asked to hold, send its frames, free it
  // (a streamed one when its stream ends). An answer of no known length
  // goes with length KEPT_UNSIZED.
  #finish(result, run, sender, out) {
    let { body, length } = result;
    if (result.flags & RESULT_FLAG.held) ({ body, length } = this.#held);
    else if (result.hold >= 0) this.#held = { tag: result.hold, body, length };
    if (result.frames.length) this.#send(result.frames, sender, out.accepted);
    if (!(result.flags & RESULT_FLAG.stream)) run?.free();
    else if (sender) this.#parts(run, sender, result.requestId);
    else body = this.#stream(run, body, result.requestId);
    if (result.flags & RESULT_FLAG.unsized) length = KEPT_UNSIZED;
    return { status: result.status, head: result.head, body, length, socket: result.status === 101 ? out.socket : null };
  }

  // Holds later requests back while a streamed answer goes on, so the rows
  // it reads do not change under it, until stop(): at most C's stream
  // limit, and its contended limit once another request waits (then it is
  // cut off, cut(why, frames) told, with the frames C ends it with).
  // { next, stop }: next() is the run's next piece, null once stopped;
  // stop(why) frees the run and lets the others go, true the first time.
  #hold(run, requestId, cut) {
    let release;
    const held = (this.#streaming = new Promise((resolve) => (release = resolve)));
    const { stream, contended } = limits(this.env);
    let timer = setTimeout(() => stop(new Error(`the stream held its document past ${stream} ms`)), stream);
    this.#hurry = () => {
      this.#hurry = null;
      clearTimeout(timer);
      timer = setTimeout(() => stop(new Error(`the stream held its document ${contended} ms past another request's arrival`)), contended);
    };
    const stop = (why) => {
      if (!run) return false;
      clearTimeout(timer);
      let frames = EMPTY;
      if (why)
        try {
          frames = run.cut();
        } catch {} // a module replaced meanwhile: nothing more to say
      run.free();
      run = null;
      if (this.#streaming === held) {
        this.#streaming = null;
        this.#hurry = null;
      }
      release();
      if (why) {
        logError("stream cut off", requestId, why);
        cut(why, frames);
      }
      return true;
    };
    return { next: () => run?.next() ?? null, stop };
  }

  // A streamed body: first, then each piece C makes as the reader pulls.
  #stream(run, first, requestId) {
    let h;
    return new ReadableStream({
      type: "bytes",
      start: (c) => {
        h = this.#hold(run, requestId, (why) => {
          try {
            c.error(why);
          } catch {}
        });
        if (first.length) c.enqueue(first);
      },
      pull: (c) => {
        let step;
        try {
          step = h.next();
        } catch (e) {
          return void h.stop(e);
        }
        if (!step) return;
        if (step.more < 0) return void h.stop(new Error("the module could not read the rest of the document"));
        if (step.piece.length) c.enqueue(step.piece);
        if (step.more === 0 && h.stop()) c.close();
      },
      cancel: () => void h.stop(),
    });
  }

  // A socket's answer in parts (a large snapshot): each next piece's frames
  // once the runtime has had a turn to send the last ones.
  async #parts(run, sender, requestId) {
    const h = this.#hold(run, requestId, (why, frames) => frames.length && this.#send(frames, sender, null));
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        const step = h.next();
        if (!step) return;
        if (step.frames.length) this.#send(step.frames, sender, null);
        if (step.more <= 0) return void h.stop(step.more < 0 ? new Error("the module could not read the rest of the document") : null);
      }
    } catch (e) {
      h.stop(e);
    }
  }

  // Does what a result's frames say, with the socket list C saw.
  #send(frames, sender, accepted) {
    let message = "";
    for (const { op, target, code, bytes } of readFrames(frames)) {
      const ws = target === FRAME.sender ? sender : target === FRAME.accepted ? accepted : this.#sockets[target];
      try {
        if (op === FRAME.text) message = text.decode(bytes);
        else if (op === FRAME.to) ws?.send(message);
        else if (op === FRAME.close) ws?.close(code, text.decode(bytes));
      } catch {} // closing meanwhile: its close event comes
    }
  }
}
