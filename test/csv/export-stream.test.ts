import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { parse } from 'csv-parse/sync';
import { csvRecord, csvRecords } from '../../src/csv/export-cells.ts';
import { writeChunks } from '../../src/csv/export.ts';

/** A writable that holds every write until released: a client whose socket is full. */
function stalledSink() {
  const pending: Array<() => void> = [];
  const written: string[] = [];
  const sink = new Writable({
    highWaterMark: 8,
    write(chunk: Buffer, _enc, done) {
      written.push(chunk.toString());
      pending.push(done);
    },
  });
  return { sink, written, release: () => pending.splice(0).forEach((done) => done()) };
}

describe('CSV export streaming', () => {
  it('pulls the next chunk only after the stream drains (backpressure reaches the database reads)', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 3; i++) {
        pulled++;
        yield `chunk ${i} is longer than the high-water mark\r\n`;
      }
    }
    const { sink, written, release } = stalledSink();
    const done = writeChunks(source(), sink);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pulled, 1, 'one chunk pulled while the sink is full');
    for (let i = 0; i < 3; i++) {
      release();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(await done, true);
    assert.equal(pulled, 3);
    assert.equal(written.length, 3);
  });

  it('stops pulling and closes the source when the client goes away', async () => {
    let pulled = 0;
    let closed = false;
    async function* source() {
      try {
        for (;;) {
          pulled++;
          yield 'a chunk longer than the high-water mark\r\n';
        }
      } finally {
        closed = true;
      }
    }
    const { sink } = stalledSink();
    const done = writeChunks(source(), sink);
    await new Promise((r) => setTimeout(r, 10));
    sink.destroy();
    assert.equal(await done, false);
    assert.equal(pulled, 1);
    assert.equal(closed, true, 'the generator was returned, so its database reads stop');
  });

  const awkward: string[][] = [
    ['plain', 'with, comma', 'with "quotes"', 'line\nbreak', 'carriage\rreturn', '', 'ünïcödé ✓', `'=quoted`],
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
  ];
  it('encodes records as csv-stringify does, quoting any line break (RFC 4180, CRLF), and they parse back', () => {
    // csv-stringify quotes only the configured record delimiter (CRLF); a bare LF or CR must be quoted too.
    const expected = stringify(awkward, { record_delimiter: '\r\n', quoted_match: /[\r\n]/ });
    assert.equal(csvRecords(awkward), expected);
    assert.equal(awkward.map((r) => csvRecord(r)).join(''), expected);
    assert.equal(csvRecords([]), '');
    assert.deepEqual(parse(csvRecords(awkward)), awkward);
  });
});
