// Renders a vega-lite spec to a static, accessible SVG string at build time (no canvas, no
// JavaScript in the page): vega-lite -> vega -> a headless View -> toSVG().
import { parse, View } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

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
