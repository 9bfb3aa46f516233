// A strict parser for the Prometheus text exposition format (0.0.4), for
// checking /metrics inside workerd, where promtool cannot run (the e2e suite
// runs promtool itself); like promtool, it wants HELP for every family. Returns a list of
// problems (empty when valid) and the parsed families.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseLabels(s, problems, line) {
  const labels = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf("=", i);
    const name = s.slice(i, eq);
    if (eq < 0 || !LABEL.test(name)) return problems.push(`bad label name in: ${line}`), labels;
    if (s[eq + 1] !== '"') return problems.push(`unquoted label value in: ${line}`), labels;
    let j = eq + 2;
    let value = "";
    while (j < s.length && s[j] !== '"') {
      if (s[j] === "\\") {
        const c = s[j + 1];
        if (c !== "\\" && c !== '"' && c !== "n") problems.push(`bad escape in: ${line}`);
        value += c === "n" ? "\n" : c;
        j += 2;
      } else value += s[j++];
    }
    if (s[j] !== '"') return problems.push(`unterminated label value in: ${line}`), labels;
    if (name in labels) problems.push(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (s[i] === ",") i++;
    else if (i < s.length) return problems.push(`junk after label in: ${line}`), labels;
  }
  return labels;
}

export function parseExposition(text) {
  const problems = [];
  const families = new Map();
  const series = new Set();
  if (!text.endsWith("\n")) problems.push("exposition must end with a newline");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = line.match(/^# (HELP|TYPE) (\S+) ?(.*)$/);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) problems.push(`bad metric name: ${name}`);
      const f = families.get(name) ?? { name, samples: [] };
      if (kind === "TYPE") {
        if (f.type) problems.push(`second TYPE for ${name}`);
        if (f.samples.length) problems.push(`TYPE after samples for ${name}`);
        if (!TYPES.has(rest)) problems.push(`unknown type ${rest} for ${name}`);
        if (rest === "counter" && !name.endsWith("_total")) problems.push(`counter ${name} should end in _total`);
        f.type = rest;
      } else {
        if (f.help !== undefined) problems.push(`second HELP for ${name}`);
        f.help = rest;
      }
      families.set(name, f);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = line.match(/^([^{\s]+)(?:\{(.*)\})? (\S+)$/);
    if (!m) {
      problems.push(`unparsable sample: ${line}`);
      continue;
    }
    const [, name, labelText, value] = m;
    if (!NAME.test(name)) problems.push(`bad metric name: ${name}`);
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^[-+]?Inf$|^NaN$/.test(value)) problems.push(`bad value: ${line}`);
    const f = families.get(name);
    if (!f?.type) problems.push(`sample before its TYPE: ${name}`);
    const labels = labelText ? parseLabels(labelText, problems, line) : {};
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (series.has(key)) problems.push(`duplicate series: ${line}`);
    series.add(key);
    f?.samples.push({ labels, value: Number(value) });
  }
  // As promtool check metrics: every family has its HELP text.
  for (const f of families.values()) if (!f.help) problems.push(`no HELP for ${f.name}`);
  return { problems, families };
}
