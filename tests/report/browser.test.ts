// The report in a real browser: builds the site against the fixture datasets under a sub-path and at
// the root, serves it on 127.0.0.1 and checks it in headless Chromium (Debian's package) at a phone and
// a desktop width. Screenshots go to .tmp/screenshots/.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveStatic } from './static-server.ts';
import type { StaticServer } from './static-server.ts';
import { crawl } from './crawl.ts';
import { FIXTURES, ROOT } from './fixture-report.ts';

const BASE = '/sub/path/';
const AXE = join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');
const SCREENSHOTS = join(ROOT, '.tmp', 'screenshots');
const WIDTHS = [390, 1280];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let outDir: string;
let rootDir: string;
let server: StaticServer;
let rootServer: StaticServer;
let browser: Browser;
let cleanup: () => Promise<void> = async () => {};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

/** Opens a page that records console errors, page errors and failed requests. */
async function open(width: number, path = '', javaScriptEnabled = true, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled, colorScheme });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  const response = await page.goto(server.url + path);
  expect(response?.status()).toBe(200);
  return { page, problems };
}

/** An element's text as a reader sees it: whitespace between its parts collapsed to one space. */
async function words(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

// Astro's build, run in its own process as `npm run build` would, with the output and Astro's cache
// in a temporary folder (tests that build the real site at the same time keep theirs). The base path
// is given as `astro build --base` gives it: inline, over astro.config.mjs.
const BUILD = `const { build } = await import('astro');
await build({ root: process.cwd(), base: process.env.SITE_BASE, outDir: process.env.OUT_DIR, cacheDir: process.env.CACHE_DIR, logLevel: 'warn' });`;

async function buildSite(scratch: string, base: string, env: Record<string, string>): Promise<string> {
  const out = join(scratch, `dist${base.replaceAll('/', '-')}`);
  const started = performance.now();
  await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', BUILD], {
    cwd: ROOT,
    env: {
      // Without the variables vitest sets for itself (MODE, BASE_URL, NODE_ENV=test, ...).
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|VITE_|MODE$|BASE_URL$|DEV$|PROD$|SSR$|TEST$|NODE_ENV$)/.test(name))),
      SITE_BASE: base,
      OUT_DIR: out,
      CACHE_DIR: join(scratch, `astro-cache${base.replaceAll('/', '-')}`),
      ASTRO_TELEMETRY_DISABLED: '1',
      ROSETTA_SITE: 'https://example.org',
      ROSETTA_RESULTS_DIR: join(FIXTURES, 'results'),
      ROSETTA_FRAMEWORKS_DIR: join(FIXTURES, 'frameworks'),
      ROSETTA_STRICT: '',
      ...env,
    },
    maxBuffer: 50_000_000,
  });
  const files = await filesUnder(out);
  const bytes = (await Promise.all(files.map((file) => stat(file)))).reduce((sum, info) => sum + info.size, 0);
  console.log(`fixture site at ${base}: astro build ${((performance.now() - started) / 1000).toFixed(1)} s, ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB`);
  return out;
}

beforeAll(async () => {
  const scratch = await mkdtemp(join(tmpdir(), 'rosetta-site-'));
  cleanup = () => rm(scratch, { recursive: true, force: true });
  // As `npm run build -- --compare origin/main` would: the article gets its "What changed" section.
  outDir = await buildSite(scratch, BASE, { ROSETTA_COMPARE_FILE: join(FIXTURES, 'compare.json') });
  // A BASE_URL variable left in the environment must not move the links.
  rootDir = await buildSite(scratch, '/', { BASE_URL: '/stray/' });
  server = await serveStatic(outDir, BASE);
  rootServer = await serveStatic(rootDir, '/');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  await mkdir(SCREENSHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await rootServer?.close();
  await cleanup();
});

describe('the report in a browser, under a non-root base path', { timeout: 60_000 }, () => {
  for (const width of WIDTHS) {
    test(`at ${width} px every benchmark section shows its table and a visible chart, without console errors`, async () => {
      const { page, problems } = await open(width);
      const sections = page.locator('section.benchmark');
      expect(await sections.count()).toBe(3);
      for (const section of await sections.all()) {
        await expect.poll(() => section.locator('table.results').isVisible()).toBe(true);
        expect(await section.locator('table.results thead th[scope="col"]').count()).toBeGreaterThan(1);
        expect(await section.locator('table.results tbody th[scope="row"]').count()).toBeGreaterThan(0);
        const chart = section.locator('figure.chart svg[role="img"]:visible').first();
        await chart.scrollIntoViewIfNeeded();
        const box = await chart.boundingBox();
        expect(box?.width).toBeGreaterThan(200);
        expect(box!.x + box!.width).toBeLessThanOrEqual(width + 1);
        expect(await chart.locator('title').textContent()).toBeTruthy();
      }
      // Each section names the machines that measured it; the CNN's cpu columns mix two and say so.
      for (const section of await sections.all()) expect(await section.locator('.machine-list li').count()).toBeGreaterThan(0);
      const cnn = page.locator('#cnn-cifar10');
      expect(await cnn.locator('.machine-list li').first().textContent()).toMatch(/^machine A: Fixture CPU @ 2\.20GHz, 2 cores/);
      expect(await cnn.locator('table.results thead .caveat').first().textContent()).toBe('measured on different machines');
      // A noisy value is marked in words where it appears, and its note says why.
      const noisy = cnn.locator('#cell-cnn-cifar10-jax-cpu-fast-cpu .noisy');
      expect(await noisy.locator('.status-noisy').textContent()).toBe('noisy');
      expect(await noisy.isVisible()).toBe(true);
      const note = await noisy.locator('a').getAttribute('href');
      expect(await page.locator(note!).textContent()).toMatch(/^noisy: the CPU calibration moved 15%/);
      // The Rosetta check: one line per framework with a check, its verdicts with their numbers.
      const checks = page.locator('table.equivalence');
      await checks.scrollIntoViewIfNeeded();
      expect(await checks.isVisible()).toBe(true);
      expect(await checks.locator('tbody tr').count()).toBe(4);
      expect(await checks.locator('td.check-pass').first().textContent()).toMatch(/^pass, \d\.\de-\d$/);
      expect(await checks.locator('td.check-fail').count()).toBe(2);
      expect(await page.locator('#rosetta-check figcaption').textContent()).toMatch(/4 of 6 current checks pass/);
      // The page itself never scrolls sideways; wide tables scroll inside their frame.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(SCREENSHOTS, `article-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });

    test(`at ${width} px a result's provenance link resolves to its cell page`, async () => {
      const { page, problems } = await open(width);
      const link = page.locator('#cnn-cifar10 table.results a.value').first();
      const href = await link.getAttribute('href');
      expect(href).toMatch(new RegExp(`^${BASE}results/cnn-cifar10/`));
      await link.click();
      await page.waitForURL(`**${href}`);
      await expect.poll(() => page.locator('h1').textContent()).toContain('CNN on CIFAR-10');
      for (const heading of ['Every repeat', 'Environment', 'Reproduce this cell', 'Cache entry']) {
        expect(await page.getByRole('heading', { name: heading }).count()).toBe(1);
      }
      expect(await page.locator('pre code').first().textContent()).toMatch(/^npm run build -- --benchmark cnn-cifar10 --framework /);
      await page.screenshot({ path: join(SCREENSHOTS, `cell-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });
  }

  test("a noisy cell's page says why, and lists its machine, calibration readings and rounds", async () => {
    const { page, problems } = await open(1280, 'results/cnn-cifar10/jax/cpu-fast-cpu/');
    expect(await page.locator('.noisy-reasons li').first().textContent()).toMatch(/the CPU calibration moved 15%/);
    expect(await page.getByRole('heading', { name: 'Machine and calibration' }).count()).toBe(1);
    expect(await page.locator('dl.facts dd', { hasText: 'machine A: Fixture CPU @ 2.20GHz' }).count()).toBe(1);
    expect(await page.locator('table.calibration tbody tr').count()).toBe(4);
    expect(await page.locator('figure.table-frame', { hasText: 'All timed repeats' }).locator('thead th', { hasText: 'round' }).count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'cell-noisy-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  for (const width of WIDTHS) {
    test(`at ${width} px a result page with three earlier results shows them in a table and a chart, and marks the one of another machine`, async () => {
      const { page, problems } = await open(width, 'results/cnn-cifar10/pytorch/cpu-fp32-cpu/');
      expect(await page.getByRole('heading', { name: 'History' }).count()).toBe(1);
      const table = page.locator('table.history-table');
      await table.scrollIntoViewIfNeeded();
      expect(await table.isVisible()).toBe(true);
      expect(await table.locator('thead th[scope="col"]').allTextContents()).toEqual(['Finished', 'Median', 'Machine', 'Status', 'Inputs changed']);
      expect(await table.locator('tbody tr').count()).toBe(4);
      expect(await table.locator('tbody tr.current th').textContent()).toContain('this result');
      // The earlier result of machine B says so in words, visibly.
      const other = table.locator('tbody tr.other-machine');
      expect(await other.count()).toBe(1);
      expect(await words(other.locator('td').nth(1))).toMatch(/^machine B ?another machine$/);
      expect(await other.locator('.status-other-machine').isVisible()).toBe(true);
      expect(await table.locator('tbody tr').first().locator('code').textContent()).toBe('files.tests/fixtures/runners/pytorch/cnn_cifar10.py');
      const chart = page.locator('#history-chart svg[role="img"]:visible');
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      expect(box?.width).toBeGreaterThan(200);
      expect(box!.x + box!.width).toBeLessThanOrEqual(width + 1);
      expect(await chart.textContent()).toContain('machine B (another machine)');
      expect(await page.locator('#history-chart details p').textContent()).toContain('14 s on machine B (another machine)');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(SCREENSHOTS, `cell-history-${width}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });
  }

  test('a result page with one earlier result shows it in the table, without a chart; one without says there is none', async () => {
    const { page, problems } = await open(1280, 'results/gru-imdb/pytorch/cpu-fp32-cpu/');
    expect(await page.locator('table.history-table tbody tr').count()).toBe(2);
    expect(await page.locator('table.history-table tbody tr').first().locator('code').textContent()).toBe('seed');
    expect(await page.locator('#history-chart').count()).toBe(0);
    expect((await page.goto(`${server.url}results/gru-imdb/pytorch/cpu-fast-cpu/`))?.status()).toBe(200);
    expect(await words(page.locator('section.history p'))).toBe('No earlier result of this cell is stored.');
    expect(problems).toEqual([]);
  });

  test("the article's \"What changed\" section lists what needs attention before the changed cells, each linked to its page", async () => {
    const { page, problems } = await open(1280);
    const changes = page.locator('section#changes');
    expect(await changes.locator('h2').textContent()).toBe('What changed since origin/main');
    expect(await page.locator('nav.toc a[href="#changes"]').count()).toBe(1);
    expect(await changes.locator('.changes-summary').textContent()).toMatch(/^1 regressed, 1 improved, .* 1 status changed \(\d+ unchanged\); 1 Rosetta check changed$/);
    const attention = changes.locator('#changes-attention li');
    expect(await attention.count()).toBe(3);
    expect(await words(attention.first())).toMatch(/^Keras 3 \(JAX backend\), NVIDIA H100 SXM, fast: ok -> failed/);
    // Attention first: the list comes before the first table of changed cells.
    const before = await changes.evaluate((section) => {
      const [list, table] = [section.querySelector('#changes-attention'), section.querySelector('table.changes-table')];
      return !!list && !!table && (list.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    });
    expect(before).toBe(true);
    const rows = changes.locator('table.changes-table tbody tr');
    expect(await rows.count()).toBe(9);
    const regressed = rows.first();
    expect(await regressed.locator('.verdict').textContent()).toBe('regressed');
    expect(await words(regressed.locator('td').nth(2))).toMatch(/^1\.250× ?1\.\d{3}–1\.\d{3}$/);
    await changes.screenshot({ path: join(SCREENSHOTS, 'changes-1280.png') });
    await regressed.locator('th a').click();
    await page.waitForURL(`**${BASE}results/cnn-cifar10/pytorch/cpu-fp32-cpu/`);
    expect(await page.getByRole('heading', { name: 'History' }).count()).toBe(1);
    expect(problems).toEqual([]);
  });

  test('at 1280 px the code viewer shows the two frameworks the reader picks, side by side', async () => {
    const { page, problems } = await open(1280, 'code/cnn-cifar10/');
    const pane = (framework: string) => page.locator(`#pane-${framework}`);
    await expect.poll(() => pane('jax').isVisible()).toBe(true);
    expect(await pane('keras-jax').isVisible()).toBe(true);
    expect(await pane('pytorch').isVisible()).toBe(false);
    await page.selectOption('select[data-side="right"]', 'pytorch');
    await expect.poll(() => pane('pytorch').isVisible()).toBe(true);
    expect(await pane('keras-jax').isVisible()).toBe(false);
    const [left, right] = [await pane('jax').boundingBox(), await pane('pytorch').boundingBox()];
    expect(left!.x).toBeLessThan(right!.x);
    expect(Math.abs(left!.y - right!.y)).toBeLessThan(2);
    expect(await pane('pytorch').locator('pre.astro-code span[style]').count()).toBeGreaterThan(10);
    await page.screenshot({ path: join(SCREENSHOTS, 'code-1280.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  test('at 390 px the code viewer switches frameworks with tabs, one at a time', async () => {
    const { page, problems } = await open(390, 'code/cnn-cifar10/');
    const tab = (name: string) => page.getByRole('tab', { name });
    await expect.poll(() => tab('PyTorch').isVisible()).toBe(true);
    expect(await page.locator('.code-pane:visible').count()).toBe(1);
    expect(await page.locator('select[data-side="left"]').isVisible()).toBe(false);
    await tab('PyTorch').click();
    await expect.poll(() => page.locator('#pane-pytorch').isVisible()).toBe(true);
    expect(await page.locator('.code-pane:visible').count()).toBe(1);
    expect(await tab('PyTorch').getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SCREENSHOTS, 'code-390.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  test("a benchmark's code page names each framework without a runner for it, with the framework's reason", async () => {
    const { page, problems } = await open(1280, 'code/resnet50-features/');
    const text = await page.locator('#no-runner').innerText();
    expect(text).toContain('Keras 3 (JAX backend) (Fixture: the Keras runners of this fixture train only)');
    expect(await page.locator('#pane-keras-jax').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  test('without JavaScript the code viewer shows every runner', async () => {
    const { page, problems } = await open(1280, 'code/cnn-cifar10/', false);
    expect(await page.locator('.code-pane:visible').count()).toBe(3);
    expect(problems).toEqual([]);
  });

  for (const [where, site] of [
    ['a sub-path', () => server],
    ['the root', () => rootServer],
  ] as const) {
    test(`built at ${where}, every internal link and anchor of every page resolves, and no page repeats an id`, async () => {
      const found = await crawl(site().url);
      console.log(`crawl at ${new URL(site().url).pathname}: ${found.pages.length} pages, ${found.links} links, ${found.anchors} anchors, ${found.problems.length} problems`);
      expect(found.problems).toEqual([]);
      expect(found.pages.length).toBeGreaterThan(50);
      expect(found.pages).toContain(`${new URL(site().url).pathname}code/cnn-cifar10/`);
      expect(found.anchors).toBeGreaterThan(20);
      expect(site().notFound).toEqual([]);
    });
  }

  test('a result page links back to its own row of its own benchmark table', async () => {
    const { page, problems } = await open(1280, 'results/gru-imdb/pytorch/cpu-fp32-cpu/');
    const back = page.getByRole('link', { name: 'PyTorch in the results table' });
    expect(await back.getAttribute('href')).toBe(`${BASE}#row-gru-imdb-pytorch`);
    await back.click();
    await page.waitForURL(`**${BASE}#row-gru-imdb-pytorch`);
    const row = page.locator('#row-gru-imdb-pytorch');
    expect(await row.evaluate((element) => element.closest('section.benchmark')?.id)).toBe('gru-imdb');
    expect(await row.locator('th[scope="row"]').textContent()).toBe('PyTorch');
    expect(problems).toEqual([]);
  });

  for (const width of WIDTHS) {
    test(`at ${width} px the article opens with a dated headline and the throughput chart, before any prose`, async () => {
      const { page, problems } = await open(width);
      const headline = page.locator('.overview .headline');
      expect(await words(headline)).toMatch(/^Measured 2026-10-03 to 2026-11-24: 37 current results of 3 benchmarks and 4 frameworks, on 5 machines: machine A: /);
      expect(await words(headline)).toContain('GPUs: 20 of 48 GPU cells measured.');
      expect((await headline.boundingBox())!.y).toBeLessThan(900);
      const chart = page.locator('#overview-chart svg[role="img"]:visible');
      expect(await chart.count()).toBe(1);
      expect(await chart.locator('title').textContent()).toBe('Throughput per benchmark, fastest framework first (median; higher is faster)');
      const before = await page.evaluate(() => {
        const [top, abstract] = [document.querySelector('.overview'), document.querySelector('section.abstract')];
        return !!top && !!abstract && (top.compareDocumentPosition(abstract) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
      });
      expect(before).toBe(true);
      await page.screenshot({ path: join(SCREENSHOTS, `article-top-${width}.png`) });
      expect(problems).toEqual([]);
    });
  }

  test('at 390 px every chart is drawn at its own size: its text at 11 px or more, no label cut or outside the chart', async () => {
    for (const path of ['', 'results/cnn-cifar10/pytorch/cpu-fp32-cpu/']) {
      const { page } = await open(390, path);
      const charts = page.locator('figure.chart svg[role="img"]:visible');
      expect(await charts.count()).toBeGreaterThan(0);
      for (const chart of await charts.all()) {
        const found = await chart.evaluate((svg: SVGSVGElement) => {
          const box = svg.getBoundingClientRect();
          const scale = box.width / svg.width.baseVal.value;
          return [...svg.querySelectorAll('text')].map((text) => {
            const own = text.getBoundingClientRect();
            return {
              text: text.textContent ?? '',
              px: parseFloat(getComputedStyle(text).fontSize) * scale,
              inside: own.width === 0 || (own.left >= box.left - 1 && own.right <= box.right + 1),
            };
          });
        });
        for (const text of found) {
          expect(text.px, `"${text.text}" on ${path || 'the article'}`).toBeGreaterThanOrEqual(10.95);
          expect(text.text, 'a label cut short').not.toContain('…');
          expect(text.inside, `"${text.text}" runs outside its chart`).toBe(true);
        }
      }
    }
  });

  test('at 390 px a results table scrolls sideways under its framework column, its caption above the scroll area', async () => {
    const { page, problems } = await open(390);
    const frame = page.locator('#cnn-cifar10-results-frame');
    const wrap = frame.locator('.table-wrap');
    await wrap.scrollIntoViewIfNeeded();
    expect(await frame.locator('.table-wrap figcaption, .table-wrap caption').count()).toBe(0);
    const caption = frame.locator('figcaption');
    expect((await caption.boundingBox())!.width).toBeLessThanOrEqual(390);
    expect(await wrap.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    const framework = frame.locator('tbody th[scope="row"]').first();
    const before = (await framework.boundingBox())!.x;
    await wrap.evaluate((element) => element.scrollBy(400, 0));
    await expect.poll(() => wrap.evaluate((element) => element.scrollLeft)).toBeGreaterThan(0);
    expect(Math.abs((await framework.boundingBox())!.x - before)).toBeLessThan(1);
    expect(await wrap.getAttribute('tabindex')).toBe('0');
    expect(problems).toEqual([]);
  });

  test('accuracies on the stand-in data say so in the table and the parity table', async () => {
    const { page } = await open(1280);
    expect(await words(page.locator('#cell-cnn-cifar10-jax-cpu-fp32-cpu'))).toContain('acc 33.8% (stand-in data)');
    expect(await words(page.locator('#cell-cnn-cifar10-jax-h100-fp32-full'))).toContain('acc 77.4%');
    expect(await words(page.locator('#cell-cnn-cifar10-jax-h100-fp32-full'))).not.toContain('stand-in');
    expect(await words(page.locator('#parity-table tbody tr', { hasText: 'CPU' }).first())).toContain('(stand-in data)');
  });

  test('each benchmark shows the 2017 study beside today, with a speed-up only where they compare; lessons follow the benchmarks', async () => {
    const { page, problems } = await open(1280);
    const pytorch = page.locator('#cnn-cifar10-2017 tbody tr', { hasText: 'PyTorch' });
    expect((await pytorch.innerText()).replace(/\s+/g, ' ').trim()).toBe('PyTorch 169 51 PyTorch 30 s 1.7× faster than the P100 28 s 1.82× faster than the P100');
    expect(await words(page.locator('#cnn-cifar10-2017 tbody tr', { hasText: 'Tensorflow' }))).toContain('not compared: measured only at another profile');
    expect(await page.locator('#cnn-cifar10-2017 figcaption a').getAttribute('href')).toMatch(/ilkarman\/DeepLearningFrameworks/);
    expect(await page.locator('#lessons dt').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('nav.toc a[href="#lessons"]').count()).toBe(1);
    expect(problems).toEqual([]);
  });

  test('a GPU result page says how to measure it: plan here, execute-plan.py on the GPU machine, ingest here', async () => {
    const { page, problems } = await open(1280, 'results/cnn-cifar10/jax/h200-fast-full/');
    const commands = await page.locator('pre code').allTextContents();
    expect(commands).toContain('npm run plan -- --target h200 --benchmark cnn-cifar10 --framework jax --mode fast');
    expect(commands).toContain('python3 scripts/execute-plan.py plans/h200-<time>.json --bundle h200-bundle.json');
    expect(commands.some((command) => command.startsWith('npm run ingest -- h200-bundle.json'))).toBe(true);
    expect(commands.some((command) => command.startsWith('npm run build -- --benchmark'))).toBe(false);
    expect(await page.getByRole('link', { name: /The 2017 study/ }).getAttribute('href')).toMatch(/^https:\/\/github\.com\/ilkarman\/DeepLearningFrameworks\//);
    expect(problems).toEqual([]);
  });

  test("a CPU result page writes its environment in words, with n/a for the GPU's fields", async () => {
    const { page } = await open(1280, 'results/cnn-cifar10/jax/cpu-fp32-cpu/');
    const facts = page.locator('h2:has-text("Environment") + dl.facts');
    expect(await words(facts.locator('dt', { hasText: /^GPU$/ }).locator('xpath=following-sibling::dd[1]'))).toBe('n/a (ran on the CPU)');
    expect(await facts.locator('dt', { hasText: '_' }).count()).toBe(0);
  });

  test('axe-core finds no violation on any page type, at 390 and 1280 px, light and dark', { timeout: 240_000 }, async () => {
    const pages = {
      article: '',
      'result page': 'results/cnn-cifar10/pytorch/cpu-fp32-cpu/',
      'GPU result page': 'results/cnn-cifar10/jax/h200-fast-full/',
      'code page': 'code/cnn-cifar10/',
    };
    const table: string[] = [];
    const found: string[] = [];
    for (const [type, path] of Object.entries(pages)) {
      for (const width of WIDTHS) {
        for (const scheme of ['light', 'dark'] as const) {
          const { page } = await open(width, path, true, scheme);
          await page.addScriptTag({ path: AXE });
          const violations = await page.evaluate(async () => {
            const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
            const results = await axe.run(document, { resultTypes: ['violations'] });
            return results.violations.map((v) => ({ id: v.id, nodes: v.nodes.length, first: v.nodes[0]?.target.join(' ') }));
          });
          table.push(`${type} | ${width} | ${scheme} | ${violations.reduce((sum, v) => sum + v.nodes, 0)}`);
          for (const v of violations) found.push(`${type} ${width} ${scheme}: ${v.id} x${v.nodes} (${v.first})`);
          await page.context().close();
        }
      }
    }
    console.log(`axe violations (page type | width | theme | violations):\n${table.join('\n')}`);
    expect(found.join('\n')).toBe('');
  });

  test("no path of the build machine appears in the built site", async () => {
    for (const file of await filesUnder(outDir)) {
      const text = await readFile(file, 'utf8');
      expect(text.includes(ROOT), `${file} contains ${ROOT}`).toBe(false);
    }
  });
});
