import type { TestServer } from './harness.ts';

/**
 * The SQL statements the server sent while `action` ran (a request, usually), in order.
 * Statements the server sends after answering (none today) would land in the next count:
 * the log waits for the store to be quiet before it stops listening.
 */
export async function statementsOf(test: TestServer, action: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const stop = test.server.database.statements.listen((sql) => sent.push(sql));
  try {
    await action();
    await quiet(test);
  } finally {
    stop();
  }
  return sent;
}

/** Resolves once no statement was sent for a few milliseconds. */
async function quiet(test: TestServer, forMs = 20): Promise<void> {
  const { statements } = test.server.database;
  for (let before = -1; before !== statements.count; ) {
    before = statements.count;
    await new Promise((resolve) => setTimeout(resolve, forMs));
  }
}
