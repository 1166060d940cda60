/**
 * Charts as SVG, drawn at build time by Apache ECharts' server-side renderer: no client
 * JavaScript, crisp in print, and the numbers come from the same model as the tables beside them.
 */
import * as echarts from "echarts"

/** The site's palette: one colour per series, in order (colour-blind safe, after Okabe–Ito). */
export const palette = ["#0b63ce", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a7a7a", "#f0e442"]

export interface Series {
  readonly name: string
  readonly data: ReadonlyArray<number | null>
}

export interface ChartOptions {
  readonly title: string
  readonly categories: ReadonlyArray<string>
  readonly series: ReadonlyArray<Series>
  /** How the value axis reads: counts, fractions shown as %, milliseconds as minutes, dollars. */
  readonly unit?: "count" | "pct" | "minutes" | "money"
  readonly width?: number
  readonly height?: number
  /** Horizontal bars (long category names: reps, campaigns). */
  readonly horizontal?: boolean
  readonly stacked?: boolean
  /** Value lines across the chart (an MQL line, a target, the healthy band). */
  readonly lines?: ReadonlyArray<{ readonly label: string; readonly value: number | string; readonly axis?: "value" | "category" }>
}

const axisLabel = (unit: ChartOptions["unit"]) => {
  switch (unit) {
    case "pct":
      return (v: number) => `${Math.round(v * 100)}%`
    case "minutes":
      return (v: number) => `${Math.round(v / 60_000)} min`
    case "money":
      return (v: number) => (v >= 1e6 ? `$${Math.round(v / 1e5) / 10}M` : v >= 1e3 ? `$${Math.round(v / 1e3)}K` : `$${v}`)
    default:
      return (v: number) => `${v}`
  }
}

const render = (option: echarts.EChartsCoreOption, width: number, height: number): string => {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height })
  try {
    chart.setOption({ animation: false, color: palette, aria: { enabled: true }, textStyle: { fontFamily: "system-ui, sans-serif" }, ...option })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

const legend = (series: ReadonlyArray<Series>) => (series.length > 1 ? { legend: { top: 0, type: "plain" as const } } : {})

/** Bars: one group per category, one bar per series. */
export const barChart = (o: ChartOptions): string => {
  const width = o.width ?? 720
  const height = o.height ?? (o.horizontal ? Math.max(200, 60 + o.categories.length * (18 + 10 * o.series.length)) : 320)
  const fmt = axisLabel(o.unit)
  const valueAxis = { type: "value" as const, axisLabel: { formatter: fmt } }
  const categoryAxis = { type: "category" as const, data: [...o.categories], inverse: o.horizontal === true, axisLabel: { interval: 0, width: o.horizontal ? 150 : 90, overflow: "truncate" as const } }
  const markLine = o.lines !== undefined && o.lines.length > 0
    ? {
      markLine: {
        symbol: "none",
        silent: true,
        lineStyle: { color: "#444", type: "dashed" as const },
        label: { formatter: "{b}", position: "insideEndTop" as const },
        data: o.lines.map((l) => (o.horizontal ? { name: l.label, xAxis: l.value } : (l.axis ?? "value") === "value" ? { name: l.label, yAxis: l.value } : { name: l.label, xAxis: l.value }))
      }
    }
    : {}
  return render({
    ...legend(o.series),
    grid: { left: o.horizontal ? 160 : 56, right: 24, top: o.series.length > 1 ? 36 : 16, bottom: 40, containLabel: false },
    xAxis: o.horizontal ? valueAxis : categoryAxis,
    yAxis: o.horizontal ? categoryAxis : valueAxis,
    series: o.series.map((s, i) => ({
      name: s.name,
      type: "bar" as const,
      data: [...s.data],
      ...(o.stacked ? { stack: "all" } : {}),
      ...(i === 0 ? markLine : {}),
      label: o.series.length === 1 && o.categories.length <= 12 ? { show: true, position: o.horizontal ? "right" as const : "top" as const, formatter: (p: { value: unknown }) => (typeof p.value === "number" ? fmt(p.value) : "") } : { show: false }
    }))
  }, width, height)
}

/** Lines over time: one per series. */
export const lineChart = (o: ChartOptions): string => {
  const fmt = axisLabel(o.unit)
  return render({
    ...legend(o.series),
    grid: { left: 56, right: 24, top: o.series.length > 1 ? 40 : 16, bottom: 40 },
    xAxis: { type: "category", data: [...o.categories], boundaryGap: false },
    yAxis: { type: "value", axisLabel: { formatter: fmt } },
    series: o.series.map((s) => ({ name: s.name, type: "line" as const, data: [...s.data], symbol: "circle", symbolSize: 5 }))
  }, o.width ?? 720, o.height ?? 320)
}

/** The demand waterfall as a funnel: stage counts, widest first. */
export const funnelChart = (o: { readonly title: string; readonly stages: ReadonlyArray<{ readonly name: string; readonly value: number }>; readonly width?: number; readonly height?: number }): string =>
  render({
    series: [{
      type: "funnel",
      sort: "none",
      left: "10%",
      width: "80%",
      minSize: "8%",
      gap: 2,
      label: { show: true, position: "inside", formatter: "{b}: {c}", color: "#fff", fontWeight: "bold" },
      data: o.stages.map((s) => ({ name: s.name, value: s.value }))
    }]
  }, o.width ?? 720, o.height ?? 300)
