/** Escapes LIKE wildcards so a search for "a_b" finds "a_b", not "axb". Queries pair it with `escape '\\'`: SQLite has no default escape character. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

export const toJson = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
export const fromJson = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
