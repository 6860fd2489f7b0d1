/**
 * A line chart as a standalone SVG string, written by hand (no dependency): axes with ticks,
 * one polyline per series, a legend. Enough for a TTFT CDF and a throughput-vs-load plot.
 */

/** One line of the chart. */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/** What to draw. */
export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Draw a marker at each point (few points, e.g. loads). */
  readonly markers?: boolean;
  /** Right end of the x axis (lines beyond it are clipped); default: the largest x. */
  readonly xMax?: number;
}

const W = 720;
const H = 420;
const M = { left: 70, right: 180, top: 40, bottom: 55 };
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

/** Escapes text for an XML text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Tick labels: 1500 → "1.5k", 0.25 → "0.25". */
export function formatTick(v: number): string {
  return Math.abs(v) >= 1000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(4)));
}

/** The chart as SVG text. */
export function lineChart(spec: ChartSpec): string {
  const all = spec.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs);
  const x1 = spec.xMax ?? (xs.length ? Math.max(...xs) : 1);
  const y1 = ys.length ? Math.max(...ys) : 1;
  const xHi = x1 > x0 ? x1 : x0 + 1;
  // Headroom, so the highest point is not drawn on the frame.
  const yHi = y1 > 0 ? y1 * 1.05 : 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((x - x0) / (xHi - x0)) * pw;
  const sy = (y: number): number => M.top + ph - (y / yHi) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<clipPath id="plot"><rect x="${M.left}" y="${M.top - 5}" width="${pw}" height="${ph + 10}"/></clipPath>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(spec.title)}</text>`,
    `<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="black"/>`,
  ];
  for (const t of niceTicks(x0, xHi)) {
    out.push(`<line x1="${sx(t).toFixed(1)}" y1="${M.top + ph}" x2="${sx(t).toFixed(1)}" y2="${M.top + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(0, yHi)) {
    out.push(`<line x1="${M.left - 5}" y1="${sy(t).toFixed(1)}" x2="${M.left + pw}" y2="${sy(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 8}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text x="16" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + ph / 2})">${escapeXml(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ");
    if (s.points.length > 0) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" clip-path="url(#plot)" points="${pts}"/>`);
    if (spec.markers) for (const [x, y] of s.points) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${color}"/>`);
    const ly = M.top + 10 + i * 18;
    out.push(`<line x1="${W - M.right + 15}" y1="${ly}" x2="${W - M.right + 35}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${W - M.right + 40}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
