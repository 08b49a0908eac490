import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adapt } from './sqlite-dialect.ts';

describe('the node:sqlite adapter', () => {
  let database: DatabaseSync;

  beforeEach(() => {
    database = new DatabaseSync(':memory:');
    database.exec('create table t (x integer); insert into t values (1), (2), (3), (4)');
  });
  afterEach(() => {
    if (database.isOpen) database.close();
  });

  it('prepares a SQL text once and hands out the same statement after', () => {
    const adapted = adapt(database);
    const first = adapted.prepare('select x from t where x >= ?');
    expect(adapted.prepare('select x from t where x >= ?')).toBe(first);
    expect(first.all([3])).toEqual([{ x: 3 }, { x: 4 }]);
    expect(first.all([4])).toEqual([{ x: 4 }]);
  });

  it('says whether a statement returns rows', () => {
    const adapted = adapt(database);
    expect(adapted.prepare('select x from t').reader).toBe(true);
    expect(adapted.prepare('insert into t values (?)').reader).toBe(false);
    expect(adapted.prepare('insert into t values (?) returning x').reader).toBe(true);
    expect(adapted.prepare('begin').reader).toBe(false);
  });

  it('never carries a parameter over from the previous run of a statement', () => {
    const statement = adapt(database).prepare('select ? as a, ? as b');
    expect(statement.all([1, 2])).toEqual([{ a: 1, b: 2 }]);
    expect(statement.all([3])).toEqual([{ a: 3, b: null }]);
  });

  it('keeps the most recently used texts, up to its size', () => {
    const adapted = adapt(database, 2);
    const one = adapted.prepare('select 1');
    const two = adapted.prepare('select 2');
    expect(adapted.prepare('select 1')).toBe(one);
    adapted.prepare('select 3');
    expect(adapted.prepare('select 1')).toBe(one);
    expect(adapted.prepare('select 2')).not.toBe(two);
  });

  it('lets an iteration finish while the same text runs again', () => {
    const statement = adapt(database).prepare('select x from t where x >= ?');
    const rows = statement.iterate([1]);
    expect(rows.next().value).toEqual({ x: 1 });
    expect(statement.all([4])).toEqual([{ x: 4 }]);
    expect([...rows]).toEqual([{ x: 2 }, { x: 3 }, { x: 4 }]);
  });

  it('sees a column added after the statement was prepared', () => {
    const statement = adapt(database).prepare('select * from t where x = ?');
    expect(statement.all([1])).toEqual([{ x: 1 }]);
    database.exec('alter table t add column y text');
    expect(statement.all([1])).toEqual([{ x: 1, y: null }]);
  });
});
