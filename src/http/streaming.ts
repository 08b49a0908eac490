import { Readable } from 'node:stream';

/**
 * A response body that is read from `chunks` as the client takes it (Fastify pipes it, so a
 * slow client slows the reads down and memory stays at a chunk or two), sent chunked.
 *
 * The first chunk is read before answering: a failure there (the first batch's query) is still
 * an ordinary error response with its status; a failure later can only cut the response short,
 * which the client sees as an incomplete transfer.
 */
export async function streamedBody(chunks: AsyncIterable<string>, prefix = ''): Promise<Readable> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* body(): AsyncGenerator<string> {
    try {
      if (prefix) yield prefix;
      if (first.done) return;
      yield first.value;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      // The client went away (or the body ended): let the source finish its own clean-up.
      await iterator.return?.();
    }
  }
  return Readable.from(body(), { objectMode: false });
}
