/**
 * Trendlines for `px.scatter`: `'ols'` (least squares; slope, intercept and R² in the hover, as
 * plotly express shows them) and `'lowess'` (statsmodels' algorithm: tricube weights over the
 * nearest `frac·n` points, `it` robustifying iterations with bisquare weights on residuals scaled
 * by six median absolute residuals, and `delta` interpolation). Fits use every row of their group,
 * also when the points drawn are a sample. Pure ECMAScript; runs inside the isolate.
 */
import { argsortNumbers, isFiniteNumber, selectKth } from '../stats.ts';
import type { ColumnRef, Source } from '../px-source.ts';
import { columnReader, numericColumn, rowAt, sizeOf } from './groups.ts';
import type { RowSet } from './groups.ts';
import { fail, label, numberOption, oneOf, stringOption, thousands } from './options.ts';
import type { Ctx, Trace } from './options.ts';
import { dateMs, isoOf } from './dates.ts';
import { templateText } from './templates.ts';
import { samplePositions } from './sample.ts';

export interface TrendSpec {
  readonly kind: 'ols' | 'lowess';
  readonly scope: 'trace' | 'overall';
  readonly color: string | undefined;
  readonly frac: number;
  readonly it: number;
  readonly delta: number | undefined;
  readonly logX: boolean;
  readonly logY: boolean;
}

const LOWESS_KEYS = ['frac', 'it', 'delta'];

/** Points the LOWESS fits of one figure use at most, together (a deterministic sample past it). */
export const LOWESS_MAX_POINTS = 50_000;
/** ...but every line may use at least this many. */
const LOWESS_MIN_SHARE = 2_000;
/** Past this many points the default `delta` is 1% of the x range (statsmodels' advice), not 0. */
const LOWESS_EXACT_POINTS = 2_000;
const OLS_KEYS = ['log_x', 'log_y'];

/** The scatter's trendline options, checked; undefined without `trendline`. */
export function readTrend(c: Ctx): TrendSpec | undefined {
  const kind = oneOf(c, 'trendline', ['ols', 'lowess'] as const);
  if (kind === undefined) {
    for (const k of ['trendline_options', 'trendline_scope', 'trendline_color_override']) if (c.o[k] !== undefined) fail(c, `${k} needs trendline`);
    return undefined;
  }
  const scope = oneOf(c, 'trendline_scope', ['trace', 'overall'] as const) ?? 'trace';
  const color = stringOption(c, 'trendline_color_override');
  const raw = c.o['trendline_options'] ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(c, 'trendline_options must be an object');
  const allowed = kind === 'ols' ? OLS_KEYS : LOWESS_KEYS;
  for (const k of Object.keys(raw)) if (!allowed.includes(k)) fail(c, `trendline_options: unknown option "${k}" for '${kind}' (options: ${allowed.join(', ')})`);
  const inner: Ctx = { name: c.name, fn: `${c.fn}: trendline_options`, o: raw as Record<string, unknown> };
  const flag = (k: string): boolean => {
    const v = (raw as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== 'boolean') fail(inner, `${k} must be true or false`);
    return v === true;
  };
  return {
    kind,
    scope,
    color,
    frac: numberOption(inner, 'frac', { above: 0, max: 1 }) ?? 2 / 3,
    it: numberOption(inner, 'it', { min: 0, max: 10, integer: true }) ?? 3,
    delta: numberOption(inner, 'delta', { min: 0 }),
    logX: flag('log_x'),
    logY: flag('log_y'),
  };
}

/** Shortest readable form of a coefficient: six significant digits (plotly express prints `%g`). */
function g(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** Least squares fit of y on x (two passes, centred: exact enough for large means). */
export function ols(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number; r2: number | null; n: number } | null {
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r2: syy > 0 ? (sxy * sxy) / (sxx * syy) : null, n };
}

/**
 * LOWESS of `y` on ascending `x` (statsmodels' `lowess(y, x, frac, it, delta)` on sorted input).
 * @returns the fitted value at every point, and which points were fitted directly (the others
 * are linear interpolations between them, so the fitted points alone draw the same curve).
 */
export function lowess(x: Float64Array, y: Float64Array, frac: number, it: number, delta: number): { fit: Float64Array; anchors: Uint8Array } {
  const n = x.length;
  const fit = new Float64Array(n);
  const anchors = new Uint8Array(n);
  if (n === 0) return { fit, anchors };
  const k = Math.min(n, Math.max(2, Math.floor(frac * n + 1e-10)));
  let robust: Float64Array | undefined;
  for (let iteration = 0; iteration <= it; iteration++) {
    anchors.fill(0);
    let i = 0;
    let lastFit = -1;
    let left = 0;
    let right = k;
    for (;;) {
      // Slide the window of k points right while x[i] is past its centre.
      while (right < n && (x[i] as number) > ((x[left] as number) + (x[right] as number)) / 2) {
        left++;
        right++;
      }
      const xi = x[i] as number;
      const radius = Math.max(xi - (x[left] as number), (x[right - 1] as number) - xi);
      let sw = 0;
      let swx = 0;
      let swy = 0;
      let swxx = 0;
      let swxy = 0;
      let nonzero = 0;
      for (let j = left; j < right; j++) {
        const dx = (x[j] as number) - xi;
        let w: number;
        if (radius > 0) {
          const d = Math.abs(dx) / radius;
          const t = 1 - d * d * d;
          w = d < 1 ? t * t * t : 0;
        } else w = 1;
        if (robust !== undefined) w *= robust[j] as number;
        if (w === 0) continue;
        nonzero++;
        const yj = y[j] as number;
        sw += w;
        swx += w * dx;
        swy += w * yj;
        swxx += w * dx * dx;
        swxy += w * dx * yj;
      }
      if (!(sw > 0) || nonzero === 1) fit[i] = y[i] as number;
      else {
        // Weighted least squares in x − x[i]: the fit at x[i] is the intercept.
        const mx = swx / sw;
        const my = swy / sw;
        const sxx = swxx / sw - mx * mx;
        fit[i] = sxx > 1e-14 * (radius * radius + 1e-300) ? my - ((swxy / sw - mx * my) / sxx) * mx : my;
      }
      anchors[i] = 1;
      // Points skipped within delta are linear interpolations between fitted neighbours.
      if (lastFit < i - 1) {
        const x0 = x[lastFit] as number;
        const y0 = fit[lastFit] as number;
        const span = xi - x0;
        for (let j = lastFit + 1; j < i; j++) fit[j] = span > 0 ? y0 + (((x[j] as number) - x0) / span) * ((fit[i] as number) - y0) : y0;
      }
      lastFit = i;
      const cut = xi + delta;
      let next = lastFit + 1;
      for (; next < n; next++) {
        const xn = x[next] as number;
        if (xn > cut) break;
        if (xn === (x[lastFit] as number)) {
          fit[next] = fit[lastFit] as number;
          lastFit = next;
        }
      }
      if (lastFit >= n - 1) break;
      // As statsmodels' loop variable: the first point past delta, or the last point looked at.
      i = Math.max((next < n ? next : n - 1) - 1, lastFit + 1);
    }
    if (iteration === it) break;
    // Bisquare robustness weights from residuals scaled by 6 × their median.
    const resid = new Float64Array(n);
    for (let j = 0; j < n; j++) resid[j] = Math.abs((y[j] as number) - (fit[j] as number));
    const work = resid.slice();
    const median = n % 2 === 1 ? selectKth(work, (n - 1) / 2) : (selectKth(work, n / 2 - 1) + selectKth(work, n / 2)) / 2;
    robust = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let r = median === 0 ? ((resid[j] as number) > 0 ? 1 : 0) : (resid[j] as number) / (6 * median);
      if (r >= 1) r = 1;
      const b = 1 - r * r;
      robust[j] = b * b;
    }
  }
  return { fit, anchors };
}

/** x values for fits: numbers, or dates (ISO text / Date / ms) as milliseconds. */
function readX(c: Ctx, src: Source, xRef: ColumnRef, n: number): { values: ArrayLike<unknown>; dates: boolean } {
  const read = columnReader(src, xRef, 'x');
  let first: unknown;
  for (let i = 0; i < n && first === undefined; i++) first = read(i) ?? undefined;
  if (first === undefined || typeof first === 'number') return { values: numericColumn(c, src, xRef, 'x'), dates: false };
  const ms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const value = read(i);
    const v = dateMs(value);
    if (v !== null && Number.isNaN(v))
      fail(c, `trendline: x ${typeof xRef === 'string' ? `column "${xRef}" ` : ''}must hold numbers or dates; row ${i} holds ${JSON.stringify(String(value).slice(0, 40))}`);
    ms[i] = v ?? NaN;
  }
  return { values: ms, dates: true };
}

export interface TrendStyle {
  readonly color: string;
  readonly name: string;
  readonly legendgroup: string | undefined;
}

/** Fits trendlines for row groups of one figure (columns are read once). */
export interface TrendFitter {
  fit(rows: RowSet, style: TrendStyle): Trace[];
  /** What to tell the analyst when a fit used a sample, after every fit. */
  note(): string | undefined;
}

export function trendFitter(c: Ctx, src: Source, spec: TrendSpec, xRef: ColumnRef, yRef: ColumnRef, n: number): TrendFitter {
  let used = 0;
  let of = 0;
  const fit = makeFit(c, src, spec, xRef, yRef, n, (m, cap) => {
    used += cap;
    of += m;
  });
  return { fit, note: () => (of > 0 ? `LOWESS fitted on a sample of ${thousands(used)} of ${thousands(of)} points` : undefined) };
}

function makeFit(c: Ctx, src: Source, spec: TrendSpec, xRef: ColumnRef, yRef: ColumnRef, n: number, sampled: (m: number, cap: number) => void): (rows: RowSet, style: TrendStyle) => Trace[] {
  const { values: xs, dates } = readX(c, src, xRef, n);
  const ys = numericColumn(c, src, yRef, 'y');
  const xName = templateText(label(c, xRef, 'x'));
  const yName = templateText(label(c, yRef, 'y'));
  if (dates && spec.logX) fail(c, 'trendline_options.log_x needs numbers in x, not dates');
  return (rows, style) => {
    const count = sizeOf(rows, n);
    const fx = new Float64Array(count);
    const fy = new Float64Array(count);
    let m = 0;
    for (let k = 0; k < count; k++) {
      const r = rowAt(rows, k);
      const x0 = xs[r];
      const y0 = ys[r];
      if (!isFiniteNumber(x0) || !isFiniteNumber(y0)) continue;
      let xv = x0;
      let yv = y0;
      if (spec.kind === 'ols') {
        if ((spec.logX && xv <= 0) || (spec.logY && yv <= 0)) continue;
        if (spec.logX) xv = Math.log10(xv);
        if (spec.logY) yv = Math.log10(yv);
      }
      fx[m] = xv;
      fy[m] = yv;
      m++;
    }
    const px = fx.subarray(0, m);
    const py = fy.subarray(0, m);
    const outX = (v: number): number | string => (dates ? isoOf(v) : v);
    const base: Trace = { type: 'scatter', mode: 'lines', name: style.name, line: { color: style.color }, showlegend: false };
    if (style.legendgroup !== undefined) base['legendgroup'] = style.legendgroup;
    if (spec.kind === 'ols') {
      const f = ols(px, py);
      if (f === null) return [];
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < m; i++) {
        if ((px[i] as number) < lo) lo = px[i] as number;
        if ((px[i] as number) > hi) hi = px[i] as number;
      }
      // A straight line needs two points; on log axes the fit is a curve, drawn through 100.
      const steps = spec.logX || spec.logY ? 100 : 1;
      const lineX: (number | string)[] = [];
      const lineY: number[] = [];
      for (let s = 0; s <= steps; s++) {
        const t = lo + ((hi - lo) * s) / steps;
        const fitted = f.intercept + f.slope * t;
        lineX.push(spec.logX ? 10 ** t : outX(t));
        lineY.push(spec.logY ? 10 ** fitted : fitted);
      }
      const lhs = spec.logY ? `log10(${yName})` : yName;
      const rhs = spec.logX ? `log10(${xName})` : xName;
      const fitText = `<b>OLS trendline</b><br>${lhs} = ${g(f.slope)} * ${rhs} + ${g(f.intercept)}<br>R<sup>2</sup>=${f.r2 === null ? 'n/a' : f.r2.toFixed(6)}<br>n=${f.n}`;
      return [{ ...base, x: lineX, y: lineY, hovertext: fitText, hoverinfo: 'x+y+text+name' }];
    }
    if (m === 0) return [];
    // LOWESS costs (fitted points) × frac·n per iteration: past LOWESS_MAX_POINTS it is fitted on
    // a deterministic sample (the note says so), which keeps a million rows under a second.
    // The budget is shared by the figure's lines in proportion to their rows.
    const cap = Math.max(LOWESS_MIN_SHARE, Math.floor((LOWESS_MAX_POINTS * m) / Math.max(m, n)));
    const used = m > cap ? samplePositions(m, cap) : undefined;
    if (used !== undefined) sampled(m, cap);
    const mm = used === undefined ? m : used.length;
    const ux = used === undefined ? px : Float64Array.from(used, (i) => px[i] as number);
    const uy = used === undefined ? py : Float64Array.from(used, (i) => py[i] as number);
    const order = argsortNumbers(ux);
    const sx = new Float64Array(mm);
    const sy = new Float64Array(mm);
    for (let i = 0; i < mm; i++) {
      sx[i] = ux[order[i] as number] as number;
      sy[i] = uy[order[i] as number] as number;
    }
    const delta = spec.delta ?? (mm > LOWESS_EXACT_POINTS ? 0.01 * ((sx[mm - 1] as number) - (sx[0] as number)) : 0);
    const { fit, anchors } = lowess(sx, sy, spec.frac, spec.it, delta);
    const lineX: (number | string)[] = [];
    const lineY: number[] = [];
    for (let i = 0; i < mm; i++) {
      if (anchors[i] !== 1 && i !== mm - 1) continue;
      if (i > 0 && sx[i] === sx[i - 1] && lineX.length > 0) continue;
      lineX.push(outX(sx[i] as number));
      lineY.push(fit[i] as number);
    }
    const fitText = `<b>LOWESS trendline</b><br>frac=${g(spec.frac)}, it=${spec.it}${delta > 0 ? `, delta=${g(delta)}` : ''}<br>n=${mm === m ? m : `${mm} (a sample of ${m})`}`;
    return [{ ...base, x: lineX, y: lineY, hovertext: fitText, hoverinfo: 'x+y+text+name' }];
  };
}
