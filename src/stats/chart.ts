/**
 * Bar charts as inline SVG: no script, no style sheet, no external asset, so the page's Content-Security-Policy stays
 * the guide's. Colours are presentation attributes (allowed by `style-src`), text takes the page's colour.
 */
import { escapeHtml } from "../pages/html";

const BAR_WIDTH = 8;
const BAR_STEP = 10;
const HEIGHT = 100;

/** One bar: its value, and the tooltip that names its hour. */
export interface Bar {
  value: number | undefined;
  title: string;
}

/** A bar chart of `bars` (an undefined value draws no bar), scaled to `max` or to the largest value. */
export function barChart(label: string, bars: Bar[], colour: string, max?: number): string {
  const top = max ?? Math.max(1, ...bars.map((bar) => bar.value ?? 0));
  const width = bars.length * BAR_STEP;
  const rects = bars
    .map((bar, i) => {
      if (bar.value === undefined) return "";
      const height = Math.max(bar.value > 0 ? 1 : 0, Math.round((bar.value / top) * HEIGHT));
      return `<rect x="${i * BAR_STEP + 1}" y="${HEIGHT - height}" width="${BAR_WIDTH}" height="${height}" fill="${colour}"><title>${escapeHtml(bar.title)}</title></rect>`;
    })
    .join("");
  return `<svg viewBox="0 0 ${width} ${HEIGHT + 16}" width="100%" role="img" aria-label="${escapeHtml(label)}" xmlns="http://www.w3.org/2000/svg">
<line x1="0" y1="${HEIGHT + 0.5}" x2="${width}" y2="${HEIGHT + 0.5}" stroke="#8d96a0" stroke-width="1"/>
${rects}
<text x="0" y="${HEIGHT + 13}" font-size="10" fill="currentColor">-${bars.length} h</text>
<text x="${width}" y="${HEIGHT + 13}" font-size="10" fill="currentColor" text-anchor="end">now · max ${escapeHtml(String(top))}</text>
</svg>`;
}
