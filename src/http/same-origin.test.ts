import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../domain/errors.ts';
import { requireSameOrigin } from './same-origin.ts';

const PUBLIC_URL = 'https://id.example.com/sophon';

/** A request as Fastify hands it over: `host` is the Host header (X-Forwarded-Host behind a trusted proxy). */
function request(headers: Record<string, string>, host = '127.0.0.1:8080', protocol = 'http'): FastifyRequest {
  return { headers, host, protocol } as unknown as FastifyRequest;
}

function refusal(headers: Record<string, string>, host?: string): DomainError | undefined {
  try {
    requireSameOrigin(request(headers, host), PUBLIC_URL);
    return undefined;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

describe('the same-origin check of cookie writes', () => {
  it('lets through what a browser says is same-origin, and what no browser sent', () => {
    expect(refusal({ 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1:8080' })).toBeUndefined();
    expect(refusal({})).toBeUndefined();
    expect(refusal({ 'sec-fetch-site': 'none' })).toBeUndefined();
  });

  it('refuses cross-site and same-site requests, naming what it expected', () => {
    const error = refusal({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    expect(error).toMatchObject({ kind: 'forbidden', code: 'ORIGIN_MISMATCH' });
    expect(error!.details).toEqual({ expectedOrigins: ['https://id.example.com', 'http://127.0.0.1:8080'], origin: 'https://evil.example', secFetchSite: 'cross-site' });
    expect(error!.message).toBe(
      "This request came from another site (Sec-Fetch-Site: cross-site). A change made with Sophon's session cookie must come from Sophon's own pages, at https://id.example.com or http://127.0.0.1:8080; a script should send an API token instead.",
    );
    // A sibling subdomain may be someone else's.
    expect(refusal({ 'sec-fetch-site': 'same-site', origin: 'https://blog.example.com' })?.code).toBe('ORIGIN_MISMATCH');
  });

  it('without Sec-Fetch-Site, accepts an Origin that is PublicUrl or the host the request came to', () => {
    expect(refusal({ origin: 'https://id.example.com' })).toBeUndefined();
    expect(refusal({ origin: 'https://ID.example.com:443' })).toBeUndefined();
    expect(refusal({ origin: 'http://127.0.0.1:8080' })).toBeUndefined();
    // The Vite dev server proxies /api with the browser's Host; TLS may end at a proxy, so the scheme isn't compared.
    expect(refusal({ origin: 'http://localhost:5173' }, 'localhost:5173')).toBeUndefined();
    expect(refusal({ origin: 'https://sophon.internal' }, 'sophon.internal')).toBeUndefined();
  });

  it('without Sec-Fetch-Site, refuses any other Origin, and "null"', () => {
    expect(refusal({ origin: 'https://evil.example' })?.message).toContain('(Origin: https://evil.example)');
    expect(refusal({ origin: 'null' })?.code).toBe('ORIGIN_MISMATCH');
    expect(refusal({ origin: 'http://127.0.0.1:8081' })?.code).toBe('ORIGIN_MISMATCH');
    expect(refusal({ origin: 'https://id.example.com.evil.example' })?.code).toBe('ORIGIN_MISMATCH');
    expect(refusal({ 'sec-fetch-site': 'none', origin: 'https://evil.example' })?.code).toBe('ORIGIN_MISMATCH');
  });
});
