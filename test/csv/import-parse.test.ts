import assert from 'node:assert/strict';
import { parseImportFile, parseGroups } from '../../src/csv/import-parse.ts';
import { decodeCsv, sniffDelimiter } from '../../src/csv/decode.ts';
import { mapHeaders } from '../../src/csv/import-columns.ts';
import { ValidationError } from '../../src/directory/errors.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('CSV import: reading files', () => {
  it('reads a cell the export neutralised as its original text, so users.csv imports back unchanged', () => {
    const file = parseImportFile(bytes("Email,Department\r\nann@x.com,'-Ops\r\nbob@x.com,'R&D\r\n"));
    const departments = file.rows.map((r) => r.values.department);
    assert.deepEqual(departments, ['-Ops', "'R&D"]);
  });

  it('reads UTF-8 with and without BOM', () => {
    assert.deepEqual(decodeCsv(bytes('\uFEFFa,b')), { text: 'a,b', encoding: 'utf-8-bom' });
    assert.deepEqual(decodeCsv(bytes('José,b')), { text: 'José,b', encoding: 'utf-8' });
  });

  it('falls back to Windows-1252 for bytes that are not UTF-8, and reports it', () => {
    const file = parseImportFile(Uint8Array.from([...bytes('Email,Name\r\nj@x.io,Jos'), 0xe9, 0x80, ...bytes('\r\n')]));
    assert.equal(file.encoding, 'windows-1252');
    assert.equal(file.rows[0]!.values.displayName, 'José€');
  });

  it('sniffs `;` or `,` from the header line, ignoring quoted delimiters', () => {
    assert.equal(sniffDelimiter('Email;Name;Groups\n"a,b";c;d'), ';');
    assert.equal(sniffDelimiter('"x;y;z",Email\n'), ',');
    const file = parseImportFile(bytes('Email;Full Name;Groups\r\na@x.io;"Doe, Jane";"Sales|Ops:editor"\r\n'));
    assert.equal(file.delimiter, ';');
    assert.deepEqual(file.rows[0]!.values.groups, [{ name: 'Sales', role: null }, { name: 'Ops', role: 'editor', whole: 'Ops:editor' }]);
  });

  it('reads Excel’s `sep=;` first line as the delimiter, not as the header, and keeps the file’s line numbers', () => {
    const file = parseImportFile(bytes('sep=;\r\nEmail;Title\r\nann@x.io;Chef, Vertrieb\r\n'));
    assert.equal(file.delimiter, ';');
    assert.deepEqual(file.headers, { email: 'Email', title: 'Title' });
    assert.deepEqual(file.rows.map((r) => [r.line, r.values.email, r.values.title]), [[3, 'ann@x.io', 'Chef, Vertrieb']]);
    const bom = parseImportFile(bytes('\uFEFF"sep=,"\nEmail,Title\nbo@x.io,CTO\n'));
    assert.deepEqual([bom.delimiter, bom.rows[0]!.values.email, bom.rows[0]!.line], [',', 'bo@x.io', 3]);
    assert.throws(() => parseImportFile(bytes('sep=|\nEmail|Title\n')), (e: ValidationError) => /file: declares its separator as "sep=\|" on line 1: only , and ; are read/.test(e.message));
  });

  it('matches headers case- and space-insensitively, with aliases', () => {
    const map = mapHeaders(['E-mail ', 'FULL NAME', 'first_name', 'Last Name', 'Office Location', 'Employee Number', 'Mobile', 'Title', 'Role', 'Status', 'Department', 'Groups', 'Date Created', 'Shoe Size']);
    assert.equal(map.fields.email, 0);
    assert.equal(map.fields.fullName, 1);
    assert.equal(map.fields.givenName, 2);
    assert.equal(map.fields.familyName, 3);
    assert.equal(map.fields.officeLocation, 4);
    assert.equal(map.fields.employeeNumber, 5);
    assert.equal(map.fields.phone, 6);
    assert.deepEqual(map.readOnly, ['Date Created']);
    assert.deepEqual(map.unknown, ['Shoe Size']);
    assert.equal(mapHeaders(['Name']).fields.fullName, 0);
  });

  it('reads quoted fields with newlines, CRLF, blank rows and trailing empty lines, numbering rows by their first line', () => {
    const file = parseImportFile(bytes('Email,Title\r\na@x.io,"two\r\nlines"\r\n\r\n,\r\nb@x.io,Boss\r\n\r\n\r\n'));
    assert.equal(file.rows.length, 2);
    assert.equal(file.rows[0]!.values.title, 'two\r\nlines');
    assert.equal(file.rows[0]!.line, 2);
    assert.equal(file.rows[1]!.line, 6);
  });

  it('numbers each row by the line it starts on in the file, whatever its line ends, blank lines and line breaks in cells counted', () => {
    const mixed = parseImportFile(bytes('Email,Title\r\n\r\na@x.io,"one\rtwo\nthree"\r\n,,\r\nb@x.io,Boss\r\nc@x.io,"x\r\ny"\r\nd@x.io,Last'));
    assert.deepEqual(mixed.rows.map((r) => [r.values.email, r.line]), [['a@x.io', 3], ['b@x.io', 7], ['c@x.io', 8], ['d@x.io', 10]]);
    const cr = parseImportFile(bytes('Email,Title\r\ra@x.io,T\rb@x.io,U'));
    assert.deepEqual(cr.rows.map((r) => r.line), [3, 4]);
    assert.throws(() => parseImportFile(bytes(`Email,Title\r\n"x\r\ny",z\r\na@x.io,${'y'.repeat(3000)}\r\n`), { maxRecordChars: 2048 }),
      (e: ValidationError) => /larger than 2048 characters \(imports\.maxRowChars\), at line 4 /.test(e.message));
  });

  it('reports a row with the wrong number of fields without failing the file', () => {
    const file = parseImportFile(bytes('Email,Title\na@x.io\nb@x.io,Boss,extra\nc@x.io,Ok,\n'));
    assert.deepEqual(file.rows.map((r) => r.problems.map((p) => p.reason)), [['wrong_field_count'], ['wrong_field_count'], []]);
  });

  it('rejects a 10 MB single cell cleanly', () => {
    const huge = `Email,Title\na@x.io,${'x'.repeat(10 * 1024 * 1024)}\n`;
    assert.throws(() => parseImportFile(bytes(huge)), (e: unknown) => e instanceof ValidationError && /field_too_large/.test(e.message));
  });

  it('counts the row limit in characters, not bytes, and names its config key', () => {
    const limit = 2048;
    const accents = parseImportFile(bytes(`Email,Title\na@x.io,${'é'.repeat(1500)}\n`), { maxRecordChars: limit });
    assert.equal(accents.rows[0]!.values.title!.length, 1500, '1,506 characters (3,006 bytes) are within 2,048 characters');
    const emoji = parseImportFile(bytes(`Email,Title\na@x.io,${'😀'.repeat(1000)}\n`), { maxRecordChars: limit });
    assert.equal([...emoji.rows[0]!.values.title!].length, 1000, 'a character outside the BMP counts once');
    for (const text of [`Email,Title\na@x.io,${'é'.repeat(2100)}\n`, `Email,Title\na@x.io,${'x'.repeat(2100)}\n`]) {
      assert.throws(() => parseImportFile(bytes(text), { maxRecordChars: limit }), (e: unknown) =>
        e instanceof ValidationError && /larger than 2048 characters \(imports\.maxRowChars\)/.test(e.message)
        && e.details.limit === limit && e.details.setting === 'imports.maxRowChars');
    }
  });

  it('rejects an unreadable file (unclosed quote) and an empty one', () => {
    assert.throws(() => parseImportFile(bytes('Email,Title\na@x.io,"open\n')), ValidationError);
    assert.throws(() => parseImportFile(bytes('')), /empty/);
  });

  it('parses groups separated by ; or | with optional roles', () => {
    assert.deepEqual(parseGroups(' A ; B:Admin| C '), [{ name: 'A', role: null }, { name: 'B', role: 'admin', whole: 'B:Admin' }, { name: 'C', role: null }]);
  });

  it('reports an unknown status word', () => {
    const file = parseImportFile(bytes('Email,Status\na@x.io,maybe\nb@x.io,Disabled\nc@x.io,pending\nd@x.io,expired\ne@x.io,Deleted\n'));
    assert.equal(file.rows[0]!.problems[0]!.reason, 'invalid_status');
    // Names every object inherits are no status words either.
    const inherited = parseImportFile(bytes('Email,Status\na@x.io,constructor\nb@x.io,__proto__\nc@x.io,toString\n'));
    assert.deepEqual(inherited.rows.map((r) => r.problems[0]?.reason), ['invalid_status', 'invalid_status', 'invalid_status']);
    assert.equal(file.rows[1]!.values.status, 'disabled');
    // Every status the users.csv export writes is read: the ones an import cannot set change nothing.
    for (const row of file.rows.slice(2)) assert.deepEqual([row.values.status, row.problems], [undefined, []]);
  });
});
