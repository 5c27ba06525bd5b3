/** Plain-text tables for terminal output. */
export function table(rows: readonly (readonly (string | number)[])[], header?: readonly string[]): string {
  const all = header === undefined ? rows : [header, ...rows];
  const cells = all.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  const line = (r: readonly string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = cells.map(line);
  if (header !== undefined) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `${out.join('\n')}\n`;
}

export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '-';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(1);
  return x.toPrecision(4);
}

export function percent(x: number): string {
  return Number.isNaN(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
