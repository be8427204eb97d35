import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { RENDERER_CSP, sameAppOrigin } from './window-policy.ts';

export interface RendererFile {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Headers on every answer: the strict CSP, no sniffing, no caching, no referrer. */
export const RENDERER_HEADERS = {
  'content-security-policy': RENDERER_CSP,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

/**
 * Answers a request for the renderer's files: only from `rootDir`, only the app's own host, only
 * the file types the page is made of, always with the CSP header. The app protocol of the main
 * process and the tests' HTTP server both answer with this.
 *
 * @example
 * const file = await readRendererFile('/app/dist/renderer', 'app://authlab/index.html', 'app://authlab/index.html');
 * new Response(file.body, { status: file.status, headers: file.headers });
 */
export async function readRendererFile(rootDir: string, requestUrl: string, appUrl: string): Promise<RendererFile> {
  const notFound: RendererFile = {
    status: 404,
    headers: { ...RENDERER_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
    body: 'not found',
  };
  if (!sameAppOrigin(requestUrl, appUrl)) return notFound;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(requestUrl).pathname);
  } catch {
    return notFound;
  }
  if (pathname === '/' || pathname === '') pathname = '/index.html';
  const root = resolve(rootDir);
  const file = resolve(root, `.${pathname}`);
  const type = TYPES[extname(file)];
  // `..` or an encoded separator that leaves the renderer's folder is refused.
  if (!file.startsWith(root + sep) || !type || pathname.includes('\0')) return notFound;
  try {
    return { status: 200, headers: { ...RENDERER_HEADERS, 'content-type': type }, body: await readFile(file) };
  } catch {
    return notFound;
  }
}
