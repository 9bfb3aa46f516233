// An SVG chart of upload size (log scale) and end-to-end cold start per
// variant, from bench/results/latest.json's shape. No dependencies.
const LABELS = { this: "this (C)", js: "plain JS", go: "Go js/wasm" };
const COLORS = { this: "#2f6fdf", js: "#e8a33d", go: "#5aa469" };

export function renderChart(r) {
  const names = Object.keys(LABELS);
  const W = 760;
  const rowH = 26;
  const left = 120;
  const barMax = W - left - 130;
  const panels = [
    {
      title: "Upload size, gzip -9 (log scale)",
      value: (n) => r.size[n].gzip_bytes,
      label: (v) => (v >= 1 << 20 ? `${(v / 2 ** 20).toFixed(2)} MiB` : `${(v / 1024).toFixed(1)} KiB`),
      scale: (v, max) => (Math.log10(v) / Math.log10(max)) * barMax,
    },
    {
      title: "Cold start: workerd spawn to first 200 PATCH, median",
      value: (n) => r.cold_start.end_to_end_ms[n].median,
      label: (v) => `${v} ms`,
      scale: (v, max) => (v / max) * barMax,
    },
    {
      title: "Cold start in-engine: compile + instantiate + init + first request",
      value: (n) => r.cold_start.isolate_ms[n].total,
      label: (v) => `${v} ms`,
      scale: (v, max) => (v / max) * barMax,
    },
  ];
  let y = 30;
  const parts = [];
  for (const p of panels) {
    const max = Math.max(...names.map(p.value));
    parts.push(`<text x="10" y="${y}" font-weight="bold">${p.title}</text>`);
    y += 12;
    for (const n of names) {
      const v = p.value(n);
      const w = Math.max(2, p.scale(v, max));
      parts.push(`<text x="10" y="${y + 16}">${LABELS[n]}</text>`);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${COLORS[n]}"/>`);
      parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 16}">${p.label(v)}</text>`);
      y += rowH;
    }
    y += 22;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
${parts.join("\n")}
</svg>
`;
}
