// Crawls a served site from its index page, as a link checker would: every page reachable by an
// internal link, every link and asset of each page fetched, every #fragment looked up among the
// ids of the page it points into. Reads the built HTML (Astro writes attributes in double quotes).

export interface Crawl {
  /** HTML pages visited, by path. */
  pages: string[];
  /** Internal links and assets found, counted once per page that has them. */
  links: number;
  /** Links with a #fragment, counted once per page that has them. */
  anchors: number;
  /** What is wrong, in words: a link outside the base, a 404, a fragment with no element, an id twice on a page. */
  problems: string[];
}

const decode = (text: string) => text.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

function attributes(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map((match) => decode(match[1]));
}

/** The ids of a page, and those it has twice or more. */
export function pageIds(html: string): { ids: Set<string>; repeated: string[] } {
  const all = attributes(html, 'id');
  return { ids: new Set(all), repeated: [...new Set(all.filter((id, index) => all.indexOf(id) !== index))] };
}

export async function crawl(siteUrl: string): Promise<Crawl> {
  const base = new URL(siteUrl).pathname;
  const pages = new Map<string, Set<string>>();
  const statuses = new Map<string, number>();
  const problems: string[] = [];
  const queue = [new URL(siteUrl).href];
  const wanted: { from: string; target: URL }[] = [];
  let links = 0;
  let anchors = 0;

  const status = async (url: string) => {
    if (!statuses.has(url)) statuses.set(url, (await fetch(url)).status);
    return statuses.get(url)!;
  };
  while (queue.length > 0) {
    const url = queue.shift()!;
    if (pages.has(url)) continue;
    const response = await fetch(url);
    statuses.set(url, response.status);
    if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) continue;
    const html = await response.text();
    const { ids, repeated } = pageIds(html);
    pages.set(url, ids);
    for (const id of repeated) problems.push(`${url}: id "${id}" appears more than once`);
    const found = [...attributes(html, 'href'), ...attributes(html, 'src')].filter((href) => !/^[a-z]+:/i.test(href));
    for (const href of new Set(found)) {
      const target = new URL(href, url);
      links += 1;
      if (!target.pathname.startsWith(base)) problems.push(`${url}: ${href} is outside the base path ${base}`);
      if (target.hash) {
        anchors += 1;
        wanted.push({ from: url, target: new URL(target.href) });
      }
      target.hash = '';
      if ((await status(target.href)) !== 200) problems.push(`${url}: ${href} answers ${statuses.get(target.href)}`);
      else if (!pages.has(target.href) && !/\.(css|js|json|csv|svg|png)$/.test(target.pathname)) queue.push(target.href);
    }
  }
  for (const { from, target } of wanted) {
    const id = decodeURIComponent(target.hash.slice(1));
    const page = new URL(target.href);
    page.hash = '';
    const ids = pages.get(page.href);
    if (ids && !ids.has(id)) problems.push(`${from}: ${target.pathname}#${id} points at no element`);
  }
  return { pages: [...pages.keys()].map((url) => new URL(url).pathname), links, anchors, problems };
}
