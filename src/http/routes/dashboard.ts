import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../route.ts';
import { fail } from '../../domain/error-catalogue.ts';

/** Where `npm run build:web` (vite build) writes the dashboard. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/**
 * Headers of every dashboard answer: scripts, styles and images only from this origin (Vite
 * emits no inline script, and assets are never inlined as data: URLs), never framed.
 */
export const dashboardHeaders = {
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** A bare file name Vite emits ("index-C0yo5ii.js"): no separator, no leading dot, a known type. */
const assetName = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'An asset is a bare file name.')
  .refine((name) => Object.hasOwn(contentTypes, path.extname(name).toLowerCase()), 'Unknown asset type.');

/** Paths the dashboard's router owns; each answers index.html and the browser picks the page. */
const clientPaths = ['/', '/login', '/set-password', '/admin', '/admin/*', '/settings', '/settings/*'];

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile() || info.isDirectory(),
    () => false,
  );
}

/** 503: the server runs, but an operator must build the dashboard. */
const notBuilt = () => fail('DASHBOARD_NOT_BUILT');

/** The dashboard's routes, serving the build in `distDir` (tests pass another directory). */
export function createDashboardRoutes(distDir: string = DASHBOARD_DIST): AnyRoute[] {
  const indexFile = path.join(distDir, 'index.html');
  const assetsDir = path.join(distDir, 'assets');

  const serveIndex = async (reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(indexFile);
    } catch {
      throw notBuilt();
    }
    // Always revalidated, so a new build is picked up; the hashed assets it names are cached for good.
    reply.headers({ ...dashboardHeaders, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    return html;
  };

  return [
    ...clientPaths.map((url) =>
      defineRoute({
        method: 'GET',
        url,
        summary: url === '/' ? 'The dashboard (web/dist/index.html)' : `Dashboard page ${url}: index.html, the browser routes it`,
        tag: 'dashboard',
        access: 'public',
        responseContentType: 'text/html',
        async handler({ reply }) {
          return serveIndex(reply);
        },
      }),
    ),
    defineRoute({
      method: 'GET',
      url: '/assets/:file',
      summary: "A file of the dashboard's build (scripts, styles, images)",
      tag: 'dashboard',
      access: 'public',
      params: z.object({ file: z.string().max(200) }),
      responseContentType: '*/*',
      async handler({ params, reply }) {
        const name = assetName.safeParse(params.file);
        if (!name.success) throw fail('ASSET_NOT_FOUND', { file: params.file });
        const file = path.join(assetsDir, name.data);
        // The name can't climb out (no separators, no leading dot); checked again on the resolved path.
        if (path.dirname(file) !== assetsDir) throw fail('ASSET_NOT_FOUND', { file: params.file });
        let data: Buffer;
        try {
          data = await readFile(file);
        } catch {
          if (!(await exists(indexFile))) throw notBuilt();
          throw fail('ASSET_NOT_FOUND', { file: params.file });
        }
        reply.headers({
          ...dashboardHeaders,
          'content-type': contentTypes[path.extname(name.data).toLowerCase()]!,
          // Vite puts a content hash in every asset name: a changed file gets a new name.
          'cache-control': 'public, max-age=31536000, immutable',
        });
        return data;
      },
    }),
  ];
}

export const dashboardRoutes: readonly AnyRoute[] = createDashboardRoutes();
