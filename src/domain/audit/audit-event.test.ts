import { describe, expect, it } from 'vitest';
import { diffOf } from './audit-event.ts';

describe('audit diffs', () => {
  it('keep only the fields that changed, before and after', () => {
    expect(diffOf({ name: 'a', description: 'same', permissions: ['X'] }, { name: 'b', description: 'same', permissions: ['X', 'Y'] })).toEqual({
      before: { name: 'a', permissions: ['X'] },
      after: { name: 'b', permissions: ['X', 'Y'] },
    });
  });

  it('are empty on both sides when nothing changed', () => {
    expect(diffOf({ name: 'a', list: [1] }, { name: 'a', list: [1] })).toEqual({ before: {}, after: {} });
  });

  it('see a change from a value to null', () => {
    expect(diffOf<{ ownerId: string | null }>({ ownerId: 'u1' }, { ownerId: null })).toEqual({ before: { ownerId: 'u1' }, after: { ownerId: null } });
  });
});
