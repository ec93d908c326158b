// A small static server for the demo page: `npm run demo:web` (build first: `npm run build`).
// Serves the repository's demo/web/, dist/ and build/ on 127.0.0.1 only, and prints the page's URL.
//   node demo/web/serve.mjs [--port 8080]      (PORT=0 or --port 0 picks a free port)
import { createServer } from 'node:http';
import { stat, readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVED = ['demo/web/', 'dist/', 'build/'];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain; charset=utf-8',
};

/** Starts the server; resolves to { server, url } once it listens. */
export function startServer({ port = 8080, host = '127.0.0.1', quiet = false } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      if (path === '/' || path === '/demo/web') {
        res.writeHead(302, { location: '/demo/web/' });
        res.end();
        return;
      }
      const rel = normalize(path.slice(1) + (path.endsWith('/') ? 'index.html' : '')).split(sep).join('/');
      if (rel.includes('..') || !SERVED.some((prefix) => rel.startsWith(prefix))) return send(res, 404, 'not found');
      const file = join(ROOT, rel);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) {
        const hint = rel.startsWith('dist/') || rel.startsWith('build/') ? ' (run `npm run build` first)' : '';
        return send(res, 404, `not found: /${rel}${hint}`);
      }
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': 'no-store',
        // cross-origin isolation: finer performance.now() for the page's per-step timings
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      send(res, 500, String(error));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const url = `http://${host}:${address.port}/demo/web/`;
      if (!quiet) console.log(`segloss demo: ${url}  (Ctrl-C stops it)`);
      resolve({ server, url });
    });
  });
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const i = process.argv.indexOf('--port');
  const port = Number(i > 0 ? process.argv[i + 1] : (process.env.PORT ?? 8080));
  const missing = [];
  for (const need of ['dist/index.js', 'build/kernels.wasm']) {
    if (!(await stat(join(ROOT, need)).catch(() => null))) missing.push(need);
  }
  if (missing.length) console.warn(`segloss demo: ${missing.join(', ')} missing: run \`npm run build\` first`);
  startServer({ port }).catch((error) => {
    console.error(`segloss demo: cannot listen on 127.0.0.1:${port}: ${error.message}`);
    process.exit(1);
  });
}
