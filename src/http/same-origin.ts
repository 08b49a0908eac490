import type { FastifyRequest } from 'fastify';
import { fail } from '../domain/error-catalogue.ts';

/**
 * Defence in depth beside the CSRF token, for what a browser's cookies authenticate or set
 * (cookie-authenticated writes, and the sign-in routes that set the session cookie): a
 * request the browser says came from another site is refused, `403 ORIGIN_MISMATCH`.
 *
 * - `Sec-Fetch-Site`, which every current browser sends and no page can forge, decides when
 *   present: `same-origin` passes; `cross-site` and `same-site` are refused (a sibling
 *   subdomain may belong to someone else, and Sophon's own pages are always same-origin).
 * - Otherwise an `Origin` header, when present, must be Sophon's own origin: PublicUrl's,
 *   or the host the request was sent to (its Host header, or X-Forwarded-Host from a trusted
 *   proxy). The scheme isn't compared with the Host's, since TLS often ends at a proxy.
 *   `Origin: null` (a sandboxed frame, a privacy redirect) is refused.
 * - A request with neither header isn't a browser's (the CLI, curl, a script): the CSRF
 *   token alone guards it, as before.
 */
export function requireSameOrigin(request: FastifyRequest, publicUrl: string): void {
  const site = headerValue(request, 'sec-fetch-site');
  if (site === 'same-origin') return;
  const origin = headerValue(request, 'origin');
  const crossSite = site === 'cross-site' || site === 'same-site';
  if (!crossSite && (origin === undefined || isOwnOrigin(origin, request, publicUrl))) return;
  const expected = [...new Set([originOf(publicUrl), originOf(`${request.protocol}://${request.host}`)].filter((each) => each !== undefined))];
  const seen = crossSite ? `Sec-Fetch-Site: ${site}` : `Origin: ${origin!.slice(0, 200)}`;
  throw fail('ORIGIN_MISMATCH', { seen, expected: expected.join(' or ') }, { expectedOrigins: expected, origin: origin?.slice(0, 200) ?? null, secFetchSite: site ?? null });
}

function isOwnOrigin(origin: string, request: FastifyRequest, publicUrl: string): boolean {
  const claimed = originOf(origin);
  if (claimed === undefined) return false;
  if (claimed === originOf(publicUrl)) return true;
  const url = new URL(claimed);
  // The Host the request came to, read with the Origin's scheme so default ports compare equal.
  try {
    return url.host === new URL(`${url.protocol}//${request.host}`).host;
  } catch {
    return false;
  }
}

/** `scheme://host[:port]` of an http(s) URL, normalised; undefined for anything else ("null" included). */
function originOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
