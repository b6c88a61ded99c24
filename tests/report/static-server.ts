// A tiny static file server for the browser test: serves a built site on 127.0.0.1 under a base
// path, as a project page host would, and answers 404 for anything outside it.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticServer {
  /** The site's address, base path included, e.g. http://127.0.0.1:41234/rosetta-bench/ */
  url: string;
  /** Every path that was asked for and not found. */
  notFound: string[];
  close: () => Promise<void>;
}

async function resolveFile(dir: string, path: string): Promise<string | null> {
  const file = normalize(join(dir, decodeURIComponent(path)));
  if (!file.startsWith(dir)) return null;
  const info = await stat(file).catch(() => null);
  if (info?.isFile()) return file;
  if (info?.isDirectory()) return (await stat(join(file, 'index.html')).catch(() => null))?.isFile() ? join(file, 'index.html') : null;
  return null;
}

export async function serveStatic(dir: string, base: string): Promise<StaticServer> {
  const notFound: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = path.startsWith(base) ? await resolveFile(dir, path.slice(base.length)) : null;
    if (!file) {
      notFound.push(path);
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${base}`,
    notFound,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
