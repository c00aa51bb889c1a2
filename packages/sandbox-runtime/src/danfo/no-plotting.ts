/**
 * Stands in for danfo's plotting module in the danfo runtime bundle (build-danfo.mjs aliases it
 * here): `df.plot(div)` draws into a DOM element with plotly.js, and an isolate has no DOM. Charts
 * are made with `px`, which accepts danfo frames.
 */
export class PlotlyLib {
  constructor() {
    throw new TypeError('df.plot() is not available in Code Mode: build the figure with px, e.g. fig = px.bar(df, { x: "region", y: "units" })');
  }
}
