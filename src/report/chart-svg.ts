// Renders a vega-lite spec to a static, accessible SVG string at build time (no canvas, no
// JavaScript in the page): vega-lite -> vega -> a headless View -> toSVG().
import * as vega from 'vega';
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

// Without a canvas vega guesses every character at 0.8 em, which reserves room for labels half as
// wide again as they are and cuts long ones. A guess per kind of character (a sans-serif face, with
// 5% to spare) keeps labels whole and the chart no wider than it needs to be.
const NARROW = new Set("iljI.,:;|!'");
const THIN = new Set(' ()[]frt-/');
const WIDE = new Set('mwMW');
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const char of text) ems += NARROW.has(char) ? 0.3 : THIN.has(char) ? 0.4 : WIDE.has(char) ? 0.92 : char >= 'A' && char <= 'Z' ? 0.72 : 0.6;
  return ems * fontSize * (bold ? 1.15 : 1.05);
}
// vega re-exports vega-scenegraph's textMetrics, which its typings leave out.
type TextItem = { fontSize?: number; fontWeight?: string | number };
const { textMetrics } = vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } };
textMetrics.width = (item, text) => textWidth(String(text ?? ''), item.fontSize ?? 11, item.fontWeight === 'bold' || Number(item.fontWeight) >= 600);

/** Prefixes the SVG's own ids (clip paths, gradients) so several charts can share one page. */
export function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

/** Gives the root <svg> a role, a title and a description, and lets CSS size it. */
export function makeAccessible(svg: string, id: string, title: string, description: string): string {
  return svg.replace(
    /^<svg\b([^>]*)>/,
    (_match, attributes: string) =>
      `<svg${attributes} role="img" aria-labelledby="${id}-title" aria-describedby="${id}-desc">` +
      `<title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(description)}</desc>`,
  );
}

export async function renderSvg(spec: TopLevelSpec, options: { id: string; title: string; description: string }): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return makeAccessible(prefixIds(svg, options.id), options.id, options.title, options.description);
  } finally {
    view.finalize();
  }
}

/** How wide the plot of a phone's chart is: its labels beside it and the flags after the bars fit in 360 px. */
export const NARROW_PLOT_WIDTH = 110;

/**
 * The same chart for a phone's width, drawn at its own size rather than scaled down (text stays at
 * 11 px or more): a narrower plot, panel headers split at " · " onto lines of their own, and
 * framework names split before their parenthesis ("Keras 3" over "(JAX backend)"); the same for
 * each chart of a vertical stack and its title.
 */
export function narrowSpec(spec: TopLevelSpec): TopLevelSpec {
  const narrow = structuredClone(spec) as Record<string, any>;
  if (narrow.spec?.width) {
    narrow.spec.width = NARROW_PLOT_WIDTH;
    if (narrow.spec.height?.step) narrow.spec.height = { step: 15 };
  } else if (narrow.width) {
    narrow.width = NARROW_PLOT_WIDTH + 90;
  }
  for (const part of narrow.vconcat ?? []) {
    if (typeof part.title === 'string') part.title = part.title.split(' · ');
    if (part.width) part.width = NARROW_PLOT_WIDTH;
    if (part.height?.step) part.height = { step: 15 };
  }
  const config = narrow.config ?? {};
  narrow.config = {
    ...config,
    axis: { ...config.axis, labelFontSize: 11, titleFontSize: 11 },
    axisBand: { labelExpr: "indexof(datum.label, ' (') > 0 ? [slice(datum.label, 0, indexof(datum.label, ' (')), slice(datum.label, indexof(datum.label, ' (') + 1)] : datum.label" },
    header: { ...config.header, labelFontSize: 11, labelExpr: "split(datum.label, ' · ')" },
    legend: { ...config.legend, labelFontSize: 11 },
  };
  return narrow as TopLevelSpec;
}
