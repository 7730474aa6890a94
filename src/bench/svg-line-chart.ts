/** One line of a chart. */
export interface ChartSeries {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Draws x on a log10 scale (all x must be positive). */
  readonly logX?: boolean;
  /** Horizontal reference lines, e.g. a target. */
  readonly marks?: readonly { readonly y: number; readonly label: string }[];
}

const W = 640;
const H = 400;
const M = { left: 70, right: 20, top: 40, bottom: 50 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round tick values across [lo, hi]: about `count` of them at 1, 2 or 5 × a power of ten. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count) ?? 10 * power;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

const label = (v: number) =>
  Math.abs(v) >= 10_000 ? `${Number((v / 1000).toPrecision(3))}k` : String(Number(v.toPrecision(4)));

/** A self-contained SVG line chart (axes, ticks, legend, marks), no plotting library. */
export function svgLineChart(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  const fx = (x: number) => (chart.logX ? Math.log10(x) : x);
  const xs = all.map((p) => fx(p.x));
  const ys = [...all.map((p) => p.y), ...(chart.marks ?? []).map((m) => m.y)];
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  const y0 = Math.min(0, ...ys);
  const y1 = Math.max(...ys) * 1.05 || 1;
  const px = (x: number) => M.left + ((fx(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`,
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`,
  ];
  const xTicks = chart.logX
    ? ticks(x0, x1)
        .filter((t) => Number.isInteger(t))
        .map((t) => 10 ** t)
    : ticks(x0, x1);
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${H - M.bottom}" x2="${x}" y2="${H - M.bottom + 5}" stroke="black"/>`,
      `<text x="${x}" y="${H - M.bottom + 18}" text-anchor="middle">${label(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    const y = py(t).toFixed(1);
    parts.push(
      `<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${label(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`,
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );
  for (const mark of chart.marks ?? []) {
    const y = py(mark.y).toFixed(1);
    parts.push(
      `<line x1="${M.left}" y1="${y}" x2="${W - M.right}" y2="${y}" stroke="#888" stroke-dasharray="6 4"/>`,
      `<text x="${W - M.right - 4}" y="${Number(y) - 4}" text-anchor="end" fill="#555">${escapeXml(mark.label)}</text>`,
    );
  }
  chart.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${px(p.x).toFixed(1)} ${py(p.y).toFixed(1)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      ...(s.points.length <= 12
        ? s.points.map(
            (p) => `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${colour}"/>`,
          )
        : []),
      `<rect x="${M.left + 10}" y="${M.top + 6 + i * 18}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${M.left + 28}" y="${M.top + 16 + i * 18}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** The empirical CDF of `values` as chart points: (value, fraction of values ≤ it). */
export function cdfPoints(values: readonly number[]): { x: number; y: number }[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.map((x, i) => ({ x, y: (i + 1) / sorted.length }));
}
