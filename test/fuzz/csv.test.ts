import assert from 'node:assert/strict';
import fc from 'fast-check';
import request from 'supertest';
import { parseImportFile } from '../../src/csv/import-parse.ts';
import { ValidationError } from '../../src/directory/errors.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { check } from './support.ts';

/**
 * Issue 9, hostile input: CSV uploads (issue 6) are files from anyone's spreadsheet. Random
 * bytes, ragged rows, stray quotes, mixed line ends and huge cells are reported (on the row,
 * or as one ValidationError naming the file's problem), never a crash or a 5xx.
 */

const MAX_ROW = 2048;
const headers = ['Email', 'Full Name', 'First name', 'Last name', 'Department', 'Title', 'Status', 'Groups', 'Role', 'Unknown', 'email', ''];
const cellText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('ann@example.com', 'Disabled', 'active', 'maybe', 'Sales; Ops:editor | ', '=cmd|calc', "'-Ops", 'é', '"', '""', ',', ';', '\r\n', '\n', '\r', '\t'),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
/** A cell as a spreadsheet might write it: bare, quoted (with doubled quotes), or broken. */
const cell = fc.oneof(
  { weight: 5, arbitrary: cellText.map((t) => t.replace(/[",;\r\n]/g, '')) },
  { weight: 3, arbitrary: cellText.map((t) => `"${t.replaceAll('"', '""')}"`) },
  { weight: 1, arbitrary: cellText.map((t) => `"${t}`) },
  { weight: 1, arbitrary: fc.nat({ max: MAX_ROW + 500 }).map((n) => 'x'.repeat(n)) },
);
const lineEnd = fc.constantFrom('\r\n', '\n', '\r');
const delimiter = fc.constantFrom(',', ';', '\t');
const ragged = fc
  .tuple(delimiter, fc.array(fc.constantFrom(...headers), { minLength: 0, maxLength: 8 }), fc.array(fc.array(cell, { maxLength: 10 }), { maxLength: 15 }), lineEnd, fc.boolean())
  .map(([d, head, rows, eol, bom]) => `${bom ? '\uFEFF' : ''}${[head.join(d), ...rows.map((r) => r.join(d))].join(eol)}`);
const csvSoup = fc.array(fc.constantFrom('a', 'Email', ',', ';', '"', '""', '\r', '\n', '\r\n', ' ', 'é', '\u0000', 'x@y.z'), { maxLength: 200 }).map((t) => t.join(''));
const file = fc.oneof(
  ragged.map((text) => new TextEncoder().encode(text)),
  csvSoup.map((text) => new TextEncoder().encode(text)),
  ragged.map((text) => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)),
  fc.uint8Array({ maxLength: 400 }),
);

describe('fuzz: CSV import parsing', () => {
  it('turns any bytes into rows with reported problems, or one ValidationError on the file', async () => {
    let refused = 0;
    let parsed = 0;
    await check('csv parse (pure)', fc.property(file, (bytes) => {
      try {
        const result = parseImportFile(bytes, { maxRecordChars: MAX_ROW });
        parsed++;
        let last = 1;
        for (const row of result.rows) {
          assert.ok(row.line > last, `row lines must increase: ${row.line} after ${last}`);
          last = row.line;
          for (const problem of row.problems) assert.ok(problem.reason && problem.message, JSON.stringify(problem));
        }
      } catch (error) {
        assert.ok(error instanceof ValidationError, `not a ValidationError: ${String(error)}`);
        assert.equal(error.problems[0]?.field, 'file');
        refused++;
      }
    }), 5001, 1000);
    assert.ok(parsed > 50 && refused > 50, `parsed ${parsed}, refused ${refused}: both paths must be exercised`);
  });

  it('refuses a row over the size limit by naming the limit', async () => {
    const huge = fc.tuple(fc.nat({ max: 5 }), fc.integer({ min: MAX_ROW + 1, max: MAX_ROW * 3 })).map(([before, size]) =>
      `Email,Title\r\n${'a@b.c,x\r\n'.repeat(before)}a@b.c,"${'y'.repeat(size)}"\r\n`);
    await check('csv row limit (pure)', fc.property(huge, (text) => {
      assert.throws(() => parseImportFile(new TextEncoder().encode(text), { maxRecordChars: MAX_ROW }), (e: unknown) =>
        e instanceof ValidationError && e.message.includes(`larger than ${MAX_ROW} characters`));
    }), 5002, 200);
  });

  describe('over HTTP, on the real database', () => {
    let t: TestApp;
    let org: SeededOrg;

    before(async () => {
      t = await createTestApp({ config: { imports: { maxFileSize: '2kb', maxRowChars: MAX_ROW } } });
      org = await seedOrg(t.container, 'acme');
    });
    after(() => t.close());

    it('answers any upload with a preview or a 4xx naming the problem, never a 5xx', async () => {
      const upload = fc.oneof(file, fc.nat({ max: 4000 }).map((n) => new TextEncoder().encode(`Email\n${'a@b.c\n'.repeat(n)}`)));
      const mode = fc.constantFrom('upsert', 'disable', 'sync');
      await check('csv upload (HTTP)', fc.asyncProperty(upload, mode, async (bytes, m) => {
        const res = await request(t.app)
          .post(`/api/orgs/${org.slug}/imports`)
          .query({ mode: m })
          .set('Authorization', `Bearer ${org.tokens.admin}`)
          .set('Content-Type', 'text/csv')
          .send(Buffer.from(bytes));
        assert.ok([201, 400, 413].includes(res.status), `${res.status} ${JSON.stringify(res.body)}`);
        if (res.status !== 201) assert.ok(res.body.error?.code && res.body.error.message, JSON.stringify(res.body));
        if (res.status === 413) assert.match(res.body.error.message, /limit of 2048 bytes/);
      }), 5003, 80);
    });
  });
});
