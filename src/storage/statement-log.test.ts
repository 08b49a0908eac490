import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteDialect } from './sqlite-dialect.ts';
import { loggingDialect, StatementLog } from './statement-log.ts';

describe('the statement log', () => {
  let log: StatementLog;
  let db: Kysely<any>;

  beforeEach(() => {
    log = new StatementLog();
    db = new Kysely<any>({ dialect: loggingDialect(createSqliteDialect(':memory:'), log) });
  });
  afterEach(() => db.destroy());

  it('counts every statement sent, transaction control and failed ones included', async () => {
    const sent: string[] = [];
    const stop = log.listen((text) => sent.push(text));
    await db.transaction().execute((transaction) => sql`select ${1} as one`.execute(transaction));
    await expect(sql`select * from nowhere`.execute(db)).rejects.toThrow(/no such table/);
    stop();
    await sql`select 2`.execute(db);
    expect(sent).toEqual(['begin', 'select ? as one', 'commit', 'select * from nowhere']);
    expect(log.count).toBe(5);
  });
});
