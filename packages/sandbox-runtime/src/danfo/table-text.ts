/**
 * Stands in for the `table` package in the danfo runtime bundle (build-danfo.mjs aliases it
 * here). danfo only uses it to format `toString()`/`print()`; the package pulls in ajv, which
 * compiles validators with `new Function` at run time. Plain aligned columns are enough in a
 * sandbox whose only output is a figure.
 */
export function table(rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const widths: number[] = [];
  for (const row of cells) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return (
    cells
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
