import { html, trusted, type SafeHtml } from '../html.js';

/**
 * Charts drawn on the server as SVG: they need no script (the pages are complete without
 * JavaScript), no chart library, and no inline style (the CSP forbids it). Each chart is an
 * image with a text alternative; its numbers are in the table beside it.
 */
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { top: 10, right: 10, bottom: 28, left: 56 };
/** Colour-blind-safe (Okabe–Ito) and at least 3:1 against white for adjacent bars. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#8c564b', '#7f7f7f', '#b8860b', '#4b0082'];

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function axis(max: number, format: (n: number) => string): string {
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  let out = '';
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = PAD.top + plotH - (plotH * i) / 4;
    out += `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" class="grid"/>`;
    out += `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${format(v)}</text>`;
  }
  return out;
}

function labelsX(labels: readonly string[], x: (i: number) => number): string {
  const every = Math.max(1, Math.ceil(labels.length / 6));
  let out = '';
  for (let i = 0; i < labels.length; i += every) {
    out += `<text x="${x(i)}" y="${HEIGHT - 8}" text-anchor="middle">${escapeSvg(labels[i]!)}</text>`;
  }
  return out;
}

function escapeSvg(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function frame(title: string, inner: string): SafeHtml {
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}" focusable="false">${trusted(inner)}</svg>`;
}

/** One series over time (restrictions in force at the end of each month). */
export function lineChart(title: string, labels: readonly string[], values: readonly number[], format: (n: number) => string): SafeHtml {
  const max = niceMax(Math.max(0, ...values));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (labels.length <= 1 ? plotW / 2 : (plotW * i) / (labels.length - 1));
  const y = (v: number) => PAD.top + plotH - (plotH * v) / max;
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const dots = values.length <= 60 ? values.map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${PALETTE[0]}"/>`).join('') : '';
  return frame(title, `${axis(max, format)}${labelsX(labels, x)}<polyline points="${points}" fill="none" stroke="${PALETTE[0]}" stroke-width="2"/>${dots}`);
}

/** Stacked bars: one bar per period, one colour per series (the legend is the table's header). */
export function stackedBars(title: string, labels: readonly string[], counts: readonly (readonly number[])[], format: (n: number) => string): SafeHtml {
  const max = niceMax(Math.max(0, ...counts.map((c) => c.reduce((a, b) => a + b, 0))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, labels.length);
  const barW = Math.max(2, slot * 0.7);
  const x = (i: number) => PAD.left + slot * i + slot / 2;
  let bars = '';
  counts.forEach((series, i) => {
    let base = 0;
    series.forEach((n, k) => {
      if (n <= 0) return;
      const h = (plotH * n) / max;
      const top = PAD.top + plotH - (plotH * base) / max - h;
      bars += `<rect x="${(x(i) - barW / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[k % PALETTE.length]}"/>`;
      base += n;
    });
  });
  return frame(title, `${axis(max, format)}${labelsX(labels, x)}${bars}`);
}

/** Horizontal bars with their labels (top authorities). */
export function horizontalBars(title: string, labels: readonly string[], values: readonly number[], format: (n: number) => string): SafeHtml {
  const rowH = 22;
  const height = Math.max(1, labels.length) * rowH + 10;
  const left = 10;
  const max = Math.max(1, ...values);
  const barMax = WIDTH - left - 70;
  let out = '';
  labels.forEach((_, i) => {
    const w = (barMax * values[i]!) / max;
    const y = 5 + i * rowH;
    out += `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${PALETTE[0]}"/>`;
    out += `<text x="${(left + w + 6).toFixed(1)}" y="${y + rowH - 10}">${escapeSvg(format(values[i]!))}</text>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${title}" focusable="false">${trusted(out)}</svg>`;
}

/** A swatch for a series in a table header, so the table doubles as the chart's legend. */
export function swatch(index: number): SafeHtml {
  return html`<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false"><rect width="10" height="10" fill="${PALETTE[index % PALETTE.length]!}"/></svg>`;
}
