// Ordered lists under merge patch: a list is an object keyed by order keys,
// and its order is the keys' order (plain string comparison). Inserting is
// adding a member, moving is a delete plus an add; neither touches another
// item, so concurrent inserts and moves never conflict.
//
//   const k = keyBetween(last, null); // append
//   doc.patch({ cards: { [k]: { title: "new" } } });
//   doc.patch({ cards: { [old]: null, [keyBetween(a, b)]: item } }); // move
//   for (const [key, card] of ordered(doc.state.cards)) ...
//
// A key is an integer part then a fraction, in base 62 ("0-9A-Za-z", in
// ASCII order). The integer part's first character gives its length and
// sign: "a".."z" one to 26 digits, "Z".."A" the same below zero, so appends
// and prepends grow a key by one character per factor of 62 (a0, a1, ...,
// az, b00, ...). Between two keys of one integer, the fraction takes a
// midpoint. Every key minted ends with this client's suffix, so two
// clients inserting into the same gap at once mint different keys; their
// order is then the suffixes' order, the same for everyone.

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const digit = (c) => DIGITS.indexOf(c);

// A suffix of four digits: "0", two random ones, and a random last one
// that is never "0" (a key never ends in "0": "x" and "x0" would be the
// same fraction, with nothing between them). 234,484 suffixes. It starts
// low so that a key minted after a key holding it halves a wide gap: keys
// inserted again and again after the last one grow by about a character
// per five inserts, whatever the suffix.
export function newSuffix(random = Math.random) {
  let s = "0";
  for (let i = 0; i < 2; i++) s += DIGITS[Math.floor(random() * 62)];
  return s + DIGITS[1 + Math.floor(random() * 61)];
}
const mine = newSuffix();

// The length of the integer part that head starts (head included).
function intLength(head) {
  if (head >= "a" && head <= "z") return head.charCodeAt(0) - 96 + 1;
  if (head >= "A" && head <= "Z") return 90 - head.charCodeAt(0) + 1 + 1;
  return 0;
}

function bad(key, why) {
  return Object.assign(new Error(`order key ${JSON.stringify(key)} ${why}`), { code: "invalid_key" });
}

// [integer part, fraction] of a valid key, or throws invalid_key.
function split(key) {
  if (typeof key !== "string") throw bad(key, "is not a string");
  const n = intLength(key[0]);
  if (!n || key.length < n) throw bad(key, "has no integer part");
  for (const c of key) if (digit(c) < 0) throw bad(key, `has "${c}", not a base-62 digit`);
  if (key.length > n && key.endsWith("0")) throw bad(key, 'ends in "0"');
  return [key.slice(0, n), key.slice(n)];
}

// The next (+1) or previous (-1) integer part, or null past the last.
function step(int, by) {
  const head = int[0];
  const ds = [...int.slice(1)].map(digit);
  let i = ds.length - 1;
  // Below zero the digits run the same way, so +1 is +1 in both ranges.
  for (; i >= 0; i--) {
    const d = ds[i] + by;
    if (d >= 0 && d < 62) {
      ds[i] = d;
      return head + ds.map((x) => DIGITS[x]).join("");
    }
    ds[i] = by > 0 ? 0 : 61;
  }
  // Every digit carried: the next length (away from zero) or the other sign.
  const pos = head >= "a";
  if (by > 0 && pos) return head === "z" ? null : String.fromCharCode(head.charCodeAt(0) + 1) + "0".repeat(ds.length + 1);
  if (by < 0 && !pos) return head === "A" ? null : String.fromCharCode(head.charCodeAt(0) - 1) + "z".repeat(ds.length + 1);
  if (by > 0) return head === "Z" ? "a0" : String.fromCharCode(head.charCodeAt(0) + 1) + "0".repeat(ds.length - 1);
  return head === "a" ? "Zz" : String.fromCharCode(head.charCodeAt(0) - 1) + "z".repeat(ds.length - 1);
}

// A fraction strictly between fractions a and b (b "" meaning 1), never a
// prefix of b, so anything appended to it still sorts before b.
function midpoint(a, b) {
  let n = 0;
  while (n < b.length && (a[n] ?? "0") === b[n]) n++;
  const da = n < a.length ? digit(a[n]) : 0;
  const db = n < b.length ? digit(b[n]) : 62;
  if (db - da > 1) return b.slice(0, n) + DIGITS[(da + db) >> 1];
  // Adjacent digits: keep a's and go past the rest of a.
  return b.slice(0, n) + DIGITS[da] + midpoint(a.slice(n + 1), "");
}

// A key that sorts strictly after a and before b (either null for the
// list's end), ending in suffix (this client's, by default).
export function keyBetween(a, b, suffix = mine) {
  if (a != null && b != null && a >= b) throw bad(a, `is not before ${JSON.stringify(b)}`);
  const [ia, fa] = a == null ? [] : split(a);
  const [ib, fb] = b == null ? [] : split(b);
  if (a == null && b == null) return "a0" + suffix;
  if (b == null) {
    const next = step(ia, 1);
    return (next ?? ia + midpoint(fa, "")) + suffix;
  }
  if (a == null) {
    // The integer below b's; below the very first, a fraction under b's.
    const prev = step(ib, -1);
    if (prev != null) return prev + suffix;
    if (!fb) throw bad(b, "is the first key there is");
    return ib + midpoint("", fb) + suffix;
  }
  if (ia === ib) return ia + midpoint(fa, fb) + suffix;
  const next = step(ia, 1);
  // A whole integer free between them, else a fraction above a's.
  if (next !== ib) return next + suffix;
  return ia + midpoint(fa, "") + suffix;
}

// The list's [key, item] pairs in order.
export function ordered(list) {
  return Object.keys(list ?? {})
    .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    .map((k) => [k, list[k]]);
}
