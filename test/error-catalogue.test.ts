import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue, errorConcepts, fail, messageOf } from '../src/domain/error-catalogue.ts';
import { DomainError } from '../src/domain/errors.ts';
import { toErrorResponse } from '../src/http/errors.ts';
import { apiDocument, withCurrentCatalogue } from '../scripts/generate-error-docs.ts';

/** Every .ts file under a directory, tests excluded. */
function sourcesUnder(directory: string): { file: string; text: string }[] {
  const found: { file: string; text: string }[] = [];
  for (const entry of readdirSync(directory)) {
    const file = path.join(directory, entry);
    if (statSync(file).isDirectory()) found.push(...sourcesUnder(file));
    else if (file.endsWith('.ts') && !file.endsWith('.test.ts')) found.push({ file, text: readFileSync(file, 'utf8') });
  }
  return found;
}

const root = path.join(import.meta.dirname, '..');
const server = sourcesUnder(path.join(root, 'src'));
const codes = Object.keys(errorCatalogue);

/** The error catalogue (issue 11): each code declared once, thrown only through it, documented from it. */
describe('the error catalogue', () => {
  it('declares each code in one concept only', () => {
    const declared = Object.values(errorConcepts).flatMap((concept) => Object.keys(concept));
    const twice = declared.filter((code, index) => declared.indexOf(code) !== index);
    expect(twice).toEqual([]);
    expect(declared.length).toBe(codes.length);
  });

  it('holds only codes the server uses, each with a message', () => {
    const everything = server.map(({ text }) => text).join('\n');
    const unused = codes.filter((code) => !everything.includes(`'${code}'`));
    expect(unused, 'declared but thrown nowhere: remove them').toEqual([]);
    for (const [code, { message }] of Object.entries(errorCatalogue)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(message.trim().length, code).toBeGreaterThan(0);
    }
  });

  it('is the only way the server makes an error: no DomainError built and no code answered outside it', () => {
    const outside = server
      .filter(({ file }) => !/src\/domain\/(errors|error-catalogue)\.ts$/.test(file))
      .flatMap(({ file, text }) =>
        [...text.matchAll(/new DomainError\(|\b(?:notFound|invalid|conflict|forbidden|unauthenticated)\(\s*'[A-Z]/g)].map((match) => `${path.relative(root, file)}: ${match[0]}`),
      );
    expect(outside, 'throw fail(code, params) instead').toEqual([]);
    // The HTTP layer's own envelopes name catalogued codes too.
    const answered = server.flatMap(({ text }) => [...text.matchAll(/error: \{ code: '([A-Z][A-Z0-9_]+)'/g)].map((match) => match[1]!));
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.filter((code) => !codes.includes(code))).toEqual([]);
  });

  it('fills a message from its values, and gives the kind its status', () => {
    const error = fail('USER_NOT_FOUND', { user: 'jane@example.com', where: 'in this tenant' });
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'USER_NOT_FOUND', kind: 'not_found', message: 'No user "jane@example.com" exists in this tenant.' });
    expect(toErrorResponse(error)).toEqual({ status: 404, body: { error: { code: 'USER_NOT_FOUND', message: 'No user "jane@example.com" exists in this tenant.' } } });
    expect(toErrorResponse(fail('NUL_CHARACTER'))?.status).toBe(400);
    expect(toErrorResponse(fail('LAST_ADMIN', { DEFAULT_TENANT_SLUG: 'default' }))?.status).toBe(409);
    // A value that itself looks like a placeholder is not filled again.
    expect(messageOf('ROLE_NOT_FOUND', { role: '{role}' })).toBe('No role "{role}" exists in this tenant.');
    expect(fail('CHECKS_INVALID', { problem: 'send at least one' }, { field: 'checks' }).details).toEqual({ field: 'checks' });
  });

  it('is listed in docs/api.md as it is', () => {
    const document = readFileSync(apiDocument, 'utf8');
    expect(withCurrentCatalogue(document) === document, 'docs/api.md is out of date: run npm run generate:error-docs').toBe(true);
    for (const code of codes) expect(document).toContain(`\`${code}\``);
  });
});
