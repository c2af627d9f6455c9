/** One SVG of the soak's per-minute samples: a small panel per measure, minutes along x. Hand-drawn: no chart library. */
export interface Series { label: string; values: number[]; color: string }
export interface Panel { title: string; unit: string; series: Series[] }

const W = 900;
const PANEL_H = 160;
const PAD = { left: 60, right: 160, top: 28, bottom: 24 };

export function soakSvg(title: string, minutes: number[], panels: Panel[]): string {
  const height = panels.length * (PANEL_H + PAD.top + PAD.bottom) + 44;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const top = 30 + i * (PANEL_H + PAD.top + PAD.bottom) + PAD.top;
    const left = PAD.left;
    const width = W - PAD.left - PAD.right;
    const all = p.series.flatMap((s) => s.values.filter(Number.isFinite));
    const max = Math.max(1e-9, ...all) * 1.1;
    const x = (k: number) => left + (minutes.length <= 1 ? 0 : (k / (minutes.length - 1)) * width);
    const y = (v: number) => top + PANEL_H - (v / max) * PANEL_H;
    out.push(`<text x="${left}" y="${top - 8}" font-weight="bold">${esc(p.title)} (${esc(p.unit)})</text>`);
    out.push(`<rect x="${left}" y="${top}" width="${width}" height="${PANEL_H}" fill="none" stroke="#ccc"/>`);
    for (const f of [0, 0.5, 1]) out.push(`<text x="${left - 6}" y="${y(max / 1.1 * f) + 4}" text-anchor="end">${fmt(max / 1.1 * f)}</text>`);
    minutes.forEach((m, k) => { if (minutes.length < 16 || k % 5 === 0) out.push(`<text x="${x(k)}" y="${top + PANEL_H + 14}" text-anchor="middle">${m}</text>`); });
    p.series.forEach((s, j) => {
      const pts = s.values.map((v, k) => (Number.isFinite(v) ? `${x(k).toFixed(1)},${y(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
      out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      out.push(`<text x="${left + width + 10}" y="${top + 14 + j * 16}" fill="${s.color}">${esc(s.label)}</text>`);
    });
  });
  out.push(`<text x="${W / 2}" y="${height - 10}" text-anchor="middle">minute of the run</text>`, '</svg>');
  return out.join('\n');
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** The soak's chart from its CSV rows (columns as in soak-bench.ts's header). */
export function soakChart(title: string, rows: number[][]): string {
  const col = (i: number) => rows.map((r) => r[i]!);
  return soakSvg(title, col(0), [
    { title: 'Resident memory', unit: 'MiB', series: [{ label: 'register-api', values: col(1), color: '#1f77b4' }, { label: 'filter-gateway', values: col(4), color: '#d62728' }] },
    { title: 'filter-gateway memory inside RSS', unit: 'MiB', series: [{ label: 'V8 heap used', values: col(15), color: '#ff7f0e' }, { label: 'external', values: col(17), color: '#8c564b' }, { label: 'array buffers', values: col(18), color: '#e377c2' }, { label: 'V8 new space', values: col(19), color: '#17becf' }] },
    { title: 'Open descriptors', unit: 'count', series: [{ label: 'register-api', values: col(2), color: '#1f77b4' }, { label: 'filter-gateway', values: col(5), color: '#d62728' }] },
    { title: 'Event-loop delay p99', unit: 'ms', series: [{ label: 'register-api', values: col(3), color: '#1f77b4' }, { label: 'filter-gateway', values: col(6), color: '#d62728' }] },
    { title: 'Latency p99', unit: 'ms', series: [{ label: 'public check', values: col(7), color: '#2ca02c' }, { label: 'DNS probe', values: col(9), color: '#9467bd' }] },
  ]);
}
