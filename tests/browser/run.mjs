// The live page in a real browser: Debian's chromium, driven by the pinned
// puppeteer-core, against `wrangler dev` (the C worker and the plugins
// worker, as make dev runs them), with STATE_KEYS set, so every page
// carries a token (#token=). Two pages of one document:
//   - an edit in one appears in the other;
//   - each lists the other as a peer;
//   - wrangler dev restarts mid-session: both reconnect and catch up;
//   - an edit made while disconnected is applied exactly once;
// and a third page with a read token cannot edit; a page of another origin
// (CORS_ORIGINS) makes an idempotent, minimal write and reads the answer's
// headers, where an origin not listed gets nothing; and a page whose token
// function returns tokens that end every few seconds keeps every edit.
// Appends "browser <passed> <failed>" to argv[2].
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import puppeteer from "puppeteer-core";
import { freePort } from "../../scripts/free-port.mjs";
import { devServers, expect, reporter } from "../lib/dev.mjs";

const root = path.resolve(import.meta.dirname, "../..");
const work = path.join(root, "build/browser");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const { start, stop } = devServers(work);
const { step, fail, finish } = reporter("browser");
const KEY = "0123456789abcdef0123456789abcdef";
const devVars = path.join(work, "dev.vars");
const args = ["-c", "wrangler.toml", "-c", "plugins/wrangler.toml", "--env-file", devVars];

// A token for doc, minted by make token's script from the same dev.vars.
function token(doc, scope, sub) {
  const env = { ...process.env, ID: doc, SCOPE: scope, SUB: sub, DEV_VARS: devVars };
  return execFileSync(process.execPath, [path.join(root, "scripts/token.mjs")], { env, encoding: "utf8" }).trim();
}

// Polls fn in the page until it returns true.
async function until(page, fn, what, arg) {
  try {
    await page.waitForFunction(fn, { timeout: 30000, polling: 100 }, arg);
  } catch {
    throw new Error(`${what} (page: ${await page.evaluate(() => JSON.stringify({ status: doc.status, version: doc.version, state: doc.state }))})`);
  }
}

// A page server for another origin: an empty page on 127.0.0.1:port.
async function originServer() {
  const port = await freePort();
  const server = createServer((req, res) => res.end("<!doctype html><title>other origin</title>"));
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { server, origin: `http://127.0.0.1:${port}` };
}

// An app's own auth endpoint, as docs/client.md's token pattern has it: GET
// /token?doc=<id> answers a write token that ends in two to three seconds
// (exp 58 s ago, within the local row's 60 s leeway: refused from the
// second after exp + leeway). Counts its tokens.
async function authServer() {
  const port = await freePort();
  const minted = { count: 0 };
  const server = createServer((req, res) => {
    const doc = new URL(req.url, "http://x").searchParams.get("doc");
    const now = Math.floor(Date.now() / 1000);
    const enc = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const signed = `${enc({ alg: "HS256", typ: "JWT", kid: "b1" })}.${enc({ sub: "short", docs: [doc], scope: "write", iat: now - 58, exp: now - 58 })}`;
    const mac = createHmac("sha256", Buffer.from(KEY)).update(signed).digest("base64url");
    minted.count += 1;
    res.writeHead(200, { "content-type": "text/plain", "access-control-allow-origin": "*" });
    res.end(`${signed}.${mac}`);
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${port}/token`, minted };
}

async function run() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const allowed = await originServer();
  const other = await originServer();
  const auth = await authServer();
  writeFileSync(devVars, `STATE_KEYS={"b1":"${Buffer.from(KEY).toString("base64url")}"}\nCORS_ORIGINS=${allowed.origin}\n`);
  expect(existsSync(CHROMIUM), `no ${CHROMIUM}: make setup installs Debian's chromium as root`);
  const port = await freePort();
  let server = await start("wrangler dev", args, port, root);
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Two pages, one in the background: keep its timers running at speed.
    args: [
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
      ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
    ],
  });
  try {
    const id = `page-${Date.now().toString(36)}`;
    const open = async (name, scope = "write", doc = id) => {
      const page = await browser.newPage();
      page.on("pageerror", (e) => console.log(`       page error (${name}): ${e.message}`));
      await page.goto(`${server.base}/?doc=${doc}&name=${name}#token=${token(doc, scope, name)}`);
      await until(page, () => globalThis.doc?.status === "open", `${name} did not open`);
      return page;
    };
    const [alice, bob] = [await open("alice"), await open("bob")];

    // Types a JSON document into the editor (the JSON tab) and applies it.
    const edit = async (page, value) => {
      await page.bringToFront();
      await page.click("#tab-json");
      await page.$eval("#editor", (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event("input"));
      }, JSON.stringify(value));
      await page.click("#apply");
    };

    await step("the_page_is_served_and_shows_the_document", async () => {
      expect((await alice.$eval("#doc", (el) => el.textContent)) === id, "document id");
      expect((await alice.$eval("#status", (el) => el.textContent)) === "open", "status");
      expect((await alice.$eval("#version", (el) => el.textContent)) === "0", "version");
    });

    await step("an_edit_in_one_page_appears_in_the_other", async () => {
      await edit(alice, { title: "hello", items: [1, 2] });
      await until(bob, () => JSON.parse(document.querySelector("#editor").value).title === "hello", "bob did not see alice's edit");
      await until(bob, () => document.querySelector("#version").textContent === "1", "bob's version");
      await edit(bob, { title: "hello", items: [1, 2, 3] });
      await until(alice, () => JSON.parse(document.querySelector("#editor").value).items.length === 3, "alice did not see bob's edit");
    });

    await step("both_list_each_other_as_peers", async () => {
      await until(alice, () => [...document.querySelectorAll("#peers li")].some((li) => li.textContent === "bob"), "alice does not list bob");
      await until(bob, () => [...document.querySelectorAll("#peers li")].some((li) => li.textContent === "alice"), "bob does not list alice");
    });

    await step("wrangler_dev_restarts_both_reconnect_and_an_offline_edit_applies_once", async () => {
      await stop(server);
      await until(alice, () => doc.status === "reconnecting", "alice did not notice");
      await until(bob, () => doc.status === "reconnecting", "bob did not notice");
      // Alice edits while nothing listens: it shows at once, pending.
      await edit(alice, { title: "offline edit", items: [1, 2, 3] });
      await until(alice, () => doc.state.title === "offline edit", "not applied optimistically");
      server = await start("wrangler dev (restarted)", args, port, root);
      // Meanwhile a write from elsewhere, which both must catch up on.
      await fetch(`${server.base}/state/${id}`, {
        method: "PATCH",
        headers: { "content-type": "application/json", authorization: `Bearer ${token(id, "write", "curl")}` },
        body: '{"from":"curl"}',
      });
      for (const page of [alice, bob]) {
        await until(page, () => doc.status === "open", "did not reconnect");
        await until(page, () => doc.version === 4 && doc.state.title === "offline edit" && doc.state.from === "curl", "did not catch up");
      }
      const journal = await (await fetch(`${server.base}/state/${id}/changes?since=0`, { headers: { authorization: `Bearer ${token(id, "read", "t")}` } })).json();
      const offline = journal.changes.filter((c) => c.patch.title === "offline edit");
      expect(offline.length === 1, `the offline edit is in the journal ${offline.length} times`);
      expect(journal.version === 4, `version ${journal.version}`);
      await until(alice, () => [...document.querySelectorAll("#peers li")].some((li) => li.textContent === "bob"), "alice lost bob");
    });

    // --- the example app: a shared task board ---
    const bid = `board-${id}`;
    const texts = (page, col = 0) => page.evaluate((col) => [...document.querySelectorAll(".column")[col]?.querySelectorAll(".card input") ?? []].map((i) => i.value), col);
    const addCard = async (page, text, col = 0) => {
      await page.bringToFront();
      const input = (await page.$$(".column .add"))[col];
      await input.type(text);
      await input.press("Enter");
    };
    // Clicks a card's button, found and clicked in one turn of the page
    // (a render between finding and clicking would leave a stale node).
    const cardButton = async (page, text, title) => {
      await page.bringToFront();
      const clicked = await page.evaluate(
        (text, title) => {
          const card = [...document.querySelectorAll(".card")].find((c) => c.querySelector("input").value === text);
          card?.querySelector(`button[title="${title}"]`).click();
          return !!card;
        },
        text,
        title,
      );
      expect(clicked, `no card ${text}`);
    };
    let ann;
    let ben;

    await step("the_board_inserts_and_reorders_cards_with_order_keys_and_shows_who_edits_which_card", async () => {
      [ann, ben] = [await open("ann", "write", bid), await open("ben", "write", bid)];
      await until(ann, () => !document.querySelector("#start").hidden, "no start button on an empty board");
      await ann.bringToFront(); // a page in the background paints no frame, and a click waits for one
      await ann.click("#start");
      await until(ben, () => document.querySelectorAll(".column").length === 3, "ben does not see the three columns");
      await addCard(ann, "one");
      await until(ann, () => doc.pending === 0, "ann's first card not acked");
      await addCard(ben, "two");
      await until(ann, () => [...document.querySelectorAll(".column")[0].querySelectorAll(".card input")].map((i) => i.value).join() === "one,two", "ann does not see one, two");
      // Ben moves "two" above "one": a delete plus an insert under a new key.
      await cardButton(ben, "two", "up");
      await until(ann, () => [...document.querySelectorAll(".column")[0].querySelectorAll(".card input")].map((i) => i.value).join() === "two,one", "ann does not see the reorder");
      const keys = await ann.evaluate(() => Object.keys(doc.state.columns.a0.cards));
      expect(keys.length === 2, `two cards, not ${keys.length}`);
      // Ann edits "one": ben sees who edits which card.
      await ann.bringToFront();
      await ann.evaluate(() => [...document.querySelectorAll(".card input")].find((i) => i.value === "one").focus());
      await until(ben, () => [...document.querySelectorAll(".card")].some((c) => c.querySelector("input").value === "one" && c.querySelector(".editing").textContent === "✎ ann"), "ben does not see ann editing 'one'");
      await ann.keyboard.type(" edited");
      await ann.keyboard.press("Enter");
      await until(ben, () => [...document.querySelectorAll(".card input")].some((i) => i.value === "one edited"), "ben does not see the edited text");
      await until(ben, () => [...document.querySelectorAll(".card .editing")].every((e) => e.textContent === ""), "ann's editing mark stays");
      // To the next column.
      await cardButton(ben, "two", "to the next column");
      await until(ann, () => document.querySelectorAll(".column")[1].querySelector(".card input")?.value === "two", "ann does not see 'two' in Doing");
      await until(ann, () => [...document.querySelectorAll("#peers li")].some((li) => li.textContent === "ben"), "ann does not list ben");
      await ann.bringToFront(); // a page in the background paints nothing to capture
      await ann.screenshot({ path: path.join(work, "board.png") });
    });

    await step("board_edits_made_offline_survive_a_reload_and_are_applied_once", async () => {
      // The app shell is kept by its service worker; the page reloads without the server.
      await ann.evaluate(() => navigator.serviceWorker.ready);
      await until(ann, () => navigator.serviceWorker.controller !== null, "the service worker does not control the page");
      const before = await ann.evaluate(() => doc.version);
      await stop(server);
      await until(ann, () => doc.status === "reconnecting", "ann did not notice");
      await addCard(ann, "offline 1");
      await until(ann, () => !document.querySelector("#offline").hidden && /1 edit/.test(document.querySelector("#offline").textContent), "no offline badge");
      await ann.evaluate(() => kept.flushed());
      await ann.reload();
      await until(ann, () => doc.version >= 0 && [...document.querySelectorAll(".card input")].some((i) => i.value === "offline 1"), "after the reload, the offline edit is not shown");
      expect((await ann.evaluate(() => doc.pending)) === 1, "the kept write is not pending");
      await ann.bringToFront();
      await ann.screenshot({ path: path.join(work, "board-offline.png") });
      await addCard(ann, "offline 2");
      await ann.evaluate(() => kept.flushed());
      server = await start("wrangler dev (board)", args, port, root);
      for (const page of [ann, ben]) {
        await until(page, () => doc.status === "open", "did not reconnect");
        await until(page, () => ["offline 1", "offline 2"].every((t) => [...document.querySelectorAll(".card input")].some((i) => i.value === t)), "does not show both offline edits");
      }
      await until(ann, () => doc.pending === 0, "ann's offline writes not acked");
      const journal = await (await fetch(`${server.base}/state/${bid}/changes?since=${before}`, { headers: { authorization: `Bearer ${token(bid, "read", "t")}` } })).json();
      const ours = journal.changes.filter((c) => /offline [12]/.test(JSON.stringify(c.patch)));
      expect(ours.length === 2, `the journal has ${ours.length} entries for the two offline edits: ${JSON.stringify(journal.changes)}`);
      expect(journal.version === before + 2, `version ${journal.version}, expected ${before + 2}`);
    });

    await step("the_board_keeps_what_is_typed_and_shows_presence_while_editing_and_never_brings_back_a_card_moved_or_deleted_meanwhile", async () => {
      const b2 = `${bid}-2`;
      const [dan, eve] = [await open("dan", "write", b2), await open("eve", "write", b2)];
      // Eve acts without taking the focus from dan's window (a background
      // page's button clicked in its own turn, her presence and writes
      // through the page's document).
      const click = (page, text, title) =>
        page.evaluate((text, title) => [...document.querySelectorAll(".card")].find((c) => c.querySelector("input").value === text).querySelector(`button[title="${title}"]`).click(), text, title);
      const keyOf = (page, text) => page.evaluate((text) => [...document.querySelectorAll(".card")].find((c) => c.querySelector("input").value === text).dataset.key, text);
      await dan.bringToFront();
      await dan.click("#start");
      await until(eve, () => document.querySelectorAll(".column").length === 3, "eve does not see the columns");
      for (const t of ["a", "b", "c"]) {
        await addCard(dan, t);
        // Enter keeps the focus in "+ card", ready for the next
        expect(await dan.evaluate(() => document.activeElement?.classList.contains("add")), "the focus left + card after Enter");
      }
      await until(eve, () => document.querySelectorAll(".card").length === 3, "eve does not see three cards");
      await until(dan, () => doc.pending === 0, "dan's cards not acked");
      // Dan types in "+ card" (no Enter yet) while eve edits b: his text
      // and focus stay, and he sees her editing.
      const add = (await dan.$$(".column .add"))[1];
      await add.type("half-typed");
      const b = await keyOf(eve, "b");
      await eve.evaluate((b) => doc.presence({ name: "eve", editing: b }), b);
      await until(dan, () => [...document.querySelectorAll(".card")].some((c) => c.querySelector("input").value === "b" && c.querySelector(".editing").textContent === "✎ eve"), "dan does not see eve editing b");
      expect(await dan.evaluate(() => document.activeElement?.value === "half-typed"), "dan's typing or focus was lost");
      // While dan edits a card, eve's changes and presence still show.
      await dan.evaluate(() => [...document.querySelectorAll(".card input")].find((i) => i.value === "a").focus());
      await dan.keyboard.type(" (dan)");
      await eve.evaluate(() => doc.patch({ columns: { a0: { cards: { a3: { text: "d", by: "eve" } } } } }));
      await eve.evaluate(() => doc.presence({ name: "eve", editing: "a3" }));
      await until(dan, () => [...document.querySelectorAll(".card")].some((c) => c.querySelector("input").value === "d" && c.querySelector(".editing").textContent === "✎ eve"), "dan does not see d, or eve on it, while editing");
      expect(await dan.evaluate(() => document.activeElement?.value === "a (dan)"), "dan's edit was lost");
      await dan.keyboard.press("Enter");
      await until(eve, () => [...document.querySelectorAll(".card input")].some((i) => i.value === "a (dan)"), "eve does not see dan's edit");
      await until(dan, () => doc.pending === 0 && doc.version === 6, "dan's edit not acked");
      // Eve deletes c while dan edits it: his edit brings nothing back.
      await dan.evaluate(() => [...document.querySelectorAll(".card input")].find((i) => i.value === "c").focus());
      await dan.keyboard.type(" (too late)");
      await click(eve, "c", "delete");
      await until(dan, () => doc.version === 7, "dan does not see the delete");
      await until(dan, () => /moved or deleted meanwhile/.test(document.querySelector("#note").textContent), "dan is not told his edit went nowhere");
      await until(eve, () => [...document.querySelectorAll(".card .editing")].every((e) => e.textContent === ""), "dan still shows as editing");
      await dan.keyboard.press("Enter");
      // And a card moved while dan edits it is not copied back.
      await dan.evaluate(() => [...document.querySelectorAll(".card input")].find((i) => i.value === "b").focus());
      await dan.keyboard.type(" (moved)");
      await dan.evaluate(() => (document.querySelector("#note").textContent = ""));
      await click(eve, "b", "to the next column");
      await until(dan, () => doc.version === 8, "dan does not see the move");
      await until(dan, () => /moved or deleted meanwhile/.test(document.querySelector("#note").textContent), "dan is not told his edit of a moved card went nowhere");
      await dan.keyboard.press("Enter");
      await until(dan, () => doc.pending === 0, "dan's refused edits still pending");
      const now = await (await fetch(`${server.base}/state/${b2}`, { headers: { authorization: `Bearer ${token(b2, "read", "t")}` } })).json();
      const all = Object.values(now.state.columns).flatMap((c) => Object.values(c.cards ?? {}).map((x) => x.text));
      expect(JSON.stringify(all.sort()) === JSON.stringify(["a (dan)", "b", "d"]) && now.version === 8, `the board: ${JSON.stringify(all)} at ${now.version}`);
      await until(dan, () => [...document.querySelectorAll(".card input")].map((i) => i.value).sort().join() === "a (dan),b,d", "dan's board is not the server's");
      // Dan focuses d and leaves it without typing while eve edits it: her
      // text stays (nothing of his is written back).
      await dan.evaluate(() => [...document.querySelectorAll(".card input")].find((i) => i.value === "d").focus());
      await eve.evaluate(() => doc.patch({ columns: { a0: { cards: { a3: { text: "d by eve" } } } } }));
      await until(dan, () => doc.state.columns.a0.cards.a3?.text === "d by eve", "dan does not get eve's edit of d");
      const version = await dan.evaluate(() => doc.version);
      await dan.keyboard.press("Enter");
      await until(dan, () => [...document.querySelectorAll(".card input")].some((i) => i.value === "d by eve"), "dan's card d does not show eve's text");
      await new Promise((r) => setTimeout(r, 300));
      expect((await dan.evaluate(() => [doc.version, doc.pending, doc.state.columns.a0.cards.a3.text])).join() === `${version},0,d by eve`, "dan wrote his stale text back");
      // The JSON tab sends only what was edited there: eve's card added
      // meanwhile stays.
      await dan.click("#tab-json");
      await dan.$eval("#editor", (el) => {
        const v = JSON.parse(el.value);
        v.title = "from json";
        el.value = JSON.stringify(v);
        el.dispatchEvent(new Event("input"));
      });
      await eve.evaluate(() => doc.patch({ columns: { a0: { cards: { a4: { text: "e", by: "eve" } } } } }));
      await until(dan, () => doc.state.columns.a0.cards.a4?.text === "e", "dan does not get e");
      await dan.click("#apply");
      await until(dan, () => doc.pending === 0 && doc.state.title === "from json", "the JSON edit was not applied");
      expect(await dan.evaluate(() => doc.state.columns.a0.cards.a4?.text === "e"), "applying the JSON tab deleted eve's card");
      await dan.click("#tab-board");
      // Without ?name=, the name is kept on the device across reloads.
      const page = await browser.newPage();
      await page.goto(`${server.base}/?doc=${b2}#token=${token(b2, "write", "fay")}`);
      await until(page, () => globalThis.doc?.status === "open", "the page without a name did not open");
      const first = await page.evaluate(() => localStorage.boardName);
      await page.reload();
      await until(page, () => globalThis.doc?.status === "open", "the page without a name did not open again");
      expect(first && (await page.evaluate(() => localStorage.boardName)) === first, "the name changed across a reload");
      for (const p of [page, dan, eve]) await p.close();
    });

    await step("a_read_token_gives_a_read_only_board", async () => {
      const cleo = await open("cleo", "read", bid);
      await until(cleo, () => document.querySelectorAll(".card").length === 4, "cleo does not see the cards");
      const view = await cleo.evaluate(() => ({
        badge: !document.querySelector("#readonly").hidden,
        tools: [...document.querySelectorAll(".card .tools, .column .add")].some((e) => e.offsetParent !== null),
        editable: [...document.querySelectorAll(".card input")].some((i) => !i.disabled),
      }));
      expect(view.badge && !view.tools && !view.editable, `read-only view: ${JSON.stringify(view)}`);
      await until(ann, () => [...document.querySelectorAll("#peers li")].some((li) => li.textContent === "cleo"), "ann does not list cleo");
      await cleo.close();
    });

    await step("a_read_only_tab_cannot_edit_but_is_a_peer", async () => {
      const carol = await open("carol", "read");
      await until(carol, () => doc.state.title === "offline edit", "carol did not get the state");
      await edit(carol, { title: "carol was here" });
      await until(carol, () => /^forbidden/.test(document.querySelector("#note").textContent), "no forbidden note");
      await until(carol, () => doc.state.title === "offline edit", "carol's edit was not rolled back");
      await until(alice, () => [...document.querySelectorAll("#peers li")].some((li) => li.textContent === "carol"), "alice does not list carol");
      const now = await (await fetch(`${server.base}/state/${id}`, { headers: { authorization: `Bearer ${token(id, "read", "t")}` } })).json();
      expect(now.state.title === "offline edit" && now.version === 4, `state ${JSON.stringify(now)}`);
    });

    await step("chromium_offering_only_its_token_as_subprotocol_opens_and_it_is_echoed", async () => {
      const t = token(id, "write", "bare");
      const got = await alice.evaluate(
        (url, t) =>
          new Promise((resolve) => {
            const ws = new WebSocket(url, [`bearer.${t}`]);
            ws.onopen = () => {
              ws.send('{"type":"hello"}');
            };
            ws.onmessage = (e) => {
              resolve({ protocol: ws.protocol, first: JSON.parse(e.data).type });
              ws.close();
            };
            ws.onerror = () => resolve({ error: true });
          }),
        `${server.base.replace("http", "ws")}/state/${id}/live`,
        t,
      );
      expect(got.protocol === `bearer.${t}` && got.first === "snapshot", `got ${JSON.stringify(got)}`);
    });

    await step("a_page_whose_token_function_returns_short_lived_tokens_keeps_editing_across_two_expiries", async () => {
      const doc = `short-${id}`;
      const page = await browser.newPage();
      await page.goto(`${server.base}/sync.js`);
      const out = await page.evaluate(
        async (url, auth) => {
          const { connect } = await import("/sync.js");
          const closes = [];
          const live = connect(url, { token: async () => (await fetch(auth)).text() });
          live.on("error", (e) => e.code === "invalid_token" && closes.push(e.code));
          live.on("status", (st) => st === "reconnecting" && closes.push(st));
          await new Promise((r) => live.on("status", (st) => st === "open" && r()));
          // An edit every 400 ms for 8 s: the tokens end about every 3 s.
          const writes = [];
          for (let i = 0; i < 20; i++) {
            writes.push(live.patch({ [`e${i}`]: i }).then((v) => ({ v }), (e) => ({ error: e.code })));
            await new Promise((r) => setTimeout(r, 400));
          }
          const results = await Promise.all(writes);
          live.close();
          return { results, closes, state: live.state };
        },
        `${server.base.replace("http", "ws")}/state/${doc}/live`,
        `${auth.url}?doc=${doc}`,
      );
      const lost = out.results.filter((r) => !("v" in r));
      expect(lost.length === 0, `edits lost: ${JSON.stringify(lost)}`);
      expect(out.closes.filter((c) => c === "reconnecting").length >= 2, `reconnects: ${JSON.stringify(out.closes)}`);
      expect(auth.minted.count >= 3, `tokens minted: ${auth.minted.count}`);
      const now = await (await fetch(`${server.base}/state/${doc}`, { headers: { authorization: `Bearer ${token(doc, "read", "t")}` } })).json();
      expect(now.version === 20 && Object.keys(now.state).length === 20, `server state ${JSON.stringify(now)}`);
      await page.close();
    });

    await step("another_origin_writes_idempotently_and_minimally_and_reads_the_headers", async () => {
      const page = await browser.newPage();
      await page.goto(allowed.origin);
      const write = (base, auth) =>
        page.evaluate(
          async (base, auth, doc) => {
            const headers = {
              "content-type": "application/merge-patch+json",
              authorization: auth,
              "idempotency-key": "cross-origin-1",
              prefer: "return=minimal",
              "x-request-id": "cross-origin-request-0001",
            };
            const out = [];
            for (let i = 0; i < 2; i++) {
              const r = await fetch(`${base}/state/${doc}`, { method: "PATCH", headers, body: '{"cors":true}' });
              out.push({
                status: r.status,
                body: await r.json(),
                etag: r.headers.get("etag"),
                rid: r.headers.get("x-request-id"),
                preference: r.headers.get("preference-applied"),
                replayed: r.headers.get("idempotent-replayed"),
              });
            }
            return out;
          },
          base,
          auth,
          `cors-${id}`,
        );
      const [first, retry] = await write(server.base, `Bearer ${token(`cors-${id}`, "write", "cors")}`);
      expect(first.status === 200 && first.body.version === 1 && !("state" in first.body), `first ${JSON.stringify(first)}`);
      expect(first.etag === '"1"', `etag ${first.etag}`);
      expect(first.rid === "cross-origin-request-0001", `x-request-id ${first.rid}`);
      expect(first.preference === "return=minimal", `preference-applied ${first.preference}`);
      expect(first.replayed === null, `replayed ${first.replayed}`);
      expect(retry.status === 200 && retry.body.version === 1 && retry.replayed === "true", `retry ${JSON.stringify(retry)}`);
      // An origin not in CORS_ORIGINS: the browser gets no CORS headers and
      // the fetch fails; nothing is written.
      const stranger = await browser.newPage();
      await stranger.goto(other.origin);
      const refused = await stranger.evaluate(
        (base, doc) =>
          fetch(`${base}/state/${doc}`, { method: "PATCH", headers: { "content-type": "application/json", "idempotency-key": "x" }, body: "{}" }).then(
            () => "answered",
            (e) => e.name,
          ),
        server.base,
        `cors-${id}`,
      );
      expect(refused === "TypeError", `a stranger's fetch: ${refused}`);
      const now = await (await fetch(`${server.base}/state/cors-${id}`, { headers: { authorization: `Bearer ${token(`cors-${id}`, "read", "t")}` } })).json();
      expect(now.version === 1, `version ${now.version}`);
      await page.close();
      await stranger.close();
    });
  } finally {
    await browser.close();
    await stop(server);
    allowed.server.close();
    other.server.close();
    auth.server.close();
  }
}

try {
  await run();
} catch (e) {
  fail("setup", e);
}
const { passed, failed } = finish();
if (process.argv[2]) appendFileSync(process.argv[2], `browser ${passed} ${failed}\n`);
process.exit(failed === 0 ? 0 : 1);
