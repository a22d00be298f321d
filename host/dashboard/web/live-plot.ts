// One live uPlot chart over a sliding time window, whose series (joints) appear as the data names them, one y scale per group (MCU); redrawn at most at the page's plot rate.
import uPlot from 'uplot';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const HEIGHT_PX = 170;

export class LivePlot {
  private xs: number[] = [];
  private readonly series = new Map<string, (number | null)[]>();
  /** Series name -> its group (the MCU node): each group gets its own y scale, so an arm's radians are not flattened by a wheel's growing angle. */
  private readonly groups = new Map<string, string>();
  private chart: uPlot | null = null;
  private dirty = false;
  private readonly box: HTMLElement;
  /** Points pushed since creation: lets a test (and a person) see the plot is being fed. */
  pushed = 0;

  constructor(parent: HTMLElement, readonly id: string, private readonly title: string, private readonly unit: string, private readonly window_s = 10) {
    this.box = document.createElement('div');
    this.box.className = 'plot';
    this.box.dataset.plot = id;
    parent.append(this.box);
    new ResizeObserver(() => this.chart?.setSize({ width: this.width(), height: HEIGHT_PX })).observe(this.box);
  }

  private width(): number {
    return Math.max(200, this.box.clientWidth || 400);
  }

  /** Adds one sample row at t_s; names not seen before become new series in `group` (earlier rows get gaps). */
  push(t_s: number, values: Record<string, number | null>, group = ''): void {
    let added = false;
    for (const name of Object.keys(values)) {
      if (!this.series.has(name)) {
        this.series.set(name, this.xs.map(() => null));
        this.groups.set(name, group);
        added = true;
      }
    }
    // uPlot needs increasing x; rows from different MCUs can arrive a hair out of order.
    const last = this.xs.at(-1);
    this.xs.push(last !== undefined && t_s < last ? last : t_s);
    for (const [name, ys] of this.series) ys.push(values[name] ?? null);
    const cut = this.xs.findIndex((x) => x >= t_s - this.window_s);
    if (cut > 0) {
      this.xs.splice(0, cut);
      for (const ys of this.series.values()) ys.splice(0, cut);
    }
    this.pushed++;
    this.box.dataset.points = String(this.pushed);
    if (added) this.rebuild();
    this.dirty = true;
  }

  clear(): void {
    this.xs = [];
    this.series.clear();
    this.groups.clear();
    this.chart?.destroy();
    this.chart = null;
    this.dirty = false;
  }

  private data(): uPlot.AlignedData {
    return [this.xs, ...[...this.series.values()]] as uPlot.AlignedData;
  }

  private rebuild(): void {
    this.chart?.destroy();
    const names = [...this.series.keys()];
    const groups = [...new Set(this.groups.values())];
    const scaleOf = (g: string) => `y:${g}`;
    this.chart = new uPlot(
      {
        title: `${this.title} [${this.unit}]`,
        width: this.width(),
        height: HEIGHT_PX,
        // Telemetry interleaves MCUs: each row carries one node's joints, so lines span the other nodes' gaps.
        series: [{}, ...names.map((n, i) => ({
          label: n, scale: scaleOf(this.groups.get(n)!), stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false },
        }))],
        scales: { x: { time: true }, ...Object.fromEntries(groups.map((g) => [scaleOf(g), { auto: true }])) },
        // The first two groups get an axis each (left, right), labelled with their MCU; more would crowd the chart.
        axes: [{}, ...groups.slice(0, 2).map((g, i) => ({ scale: scaleOf(g), side: i === 0 ? 3 : 1, size: 60, label: g || undefined, grid: { show: i === 0 } }))],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      this.data(),
      this.box,
    );
  }

  /** Called from the page's render loop: only redraws what changed. */
  render(): void {
    if (!this.dirty || !this.chart) return;
    this.dirty = false;
    this.chart.setData(this.data());
  }
}
