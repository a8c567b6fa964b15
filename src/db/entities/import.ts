import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';

export const importModes = ['upsert', 'disable', 'sync'] as const;
export type ImportMode = (typeof importModes)[number];

/** previewed → committing → committed; a commit that dies stays `committing` and resumes. */
export const importStatuses = ['previewed', 'committing', 'committed'] as const;
export type ImportStatus = (typeof importStatuses)[number];

export const importActions = ['create', 'update', 'unchanged', 'disable', 'skip'] as const;
export type ImportAction = (typeof importActions)[number];

/**
 * A CSV import (issue 6): the parsed file's preview, stored so that the admin
 * reviews it and commits it later, in batches. `counts` are per preview action;
 * `progress` is what the commit has done so far.
 */
export const CsvImportSchema = defineEntity({
  name: 'CsvImport',
  tableName: 'csv_imports',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    mode: p.enum(importModes),
    status: p.enum(importStatuses).default('previewed'),
    fileName: p.string().length(300).nullable(),
    /** utf-8, utf-8-bom or windows-1252 (the fallback, reported to the admin). */
    encoding: p.string().length(20),
    delimiter: p.string().length(1),
    options: p.json<Record<string, unknown>>().default('{}'),
    /** Columns recognised, and those ignored (unknown or read-only). */
    columns: p.json<Record<string, unknown>>().default('{}'),
    counts: p.json<Record<string, number>>().default('{}'),
    /** Rows the preview would disable, and the enabled users of the org at preview time. */
    disableCount: p.integer().default(0),
    enabledCount: p.integer().default(0),
    needsForce: p.boolean().default(false),
    /** The rows the commit was asked for: null = all. */
    selection: p.json<number[]>().nullable(),
    total: p.integer().default(0),
    processed: p.integer().default(0),
    /**
     * Commit high-water mark: every selected row numbered up to here was in a
     * committed batch. A row there without an explicit `outcome` was applied by
     * the bulk path, so a batch marks its rows with this one update instead of
     * rewriting each (wide) preview row.
     */
    appliedThrough: p.integer().default(0),
    /** The commit's manager pass's mark (import-commit-managers.ts): every row numbered up to here had its manager set, or its note. */
    managersThrough: p.integer().default(0),
    progress: p.json<Record<string, number>>().default('{}'),
    createdByLabel: p.string().length(320),
    committedAt: p.datetime().nullable(),
    version: p.integer().version(),
  },
  indexes: [{ name: 'csv_imports_org_id_index', properties: ['org', 'id'] }],
});

export class CsvImport extends CsvImportSchema.class {}
CsvImportSchema.setClass(CsvImport);

/**
 * One preview row: the wanted values (`data`), what would change, why it is
 * skipped. `applied` is written in the same transaction as the row's change,
 * so after a crash exactly the committed batches read as applied.
 */
export const CsvImportRowSchema = defineEntity({
  name: 'CsvImportRow',
  tableName: 'csv_import_rows',
  properties: {
    import: () => p.manyToOne(CsvImport).deleteRule('cascade').primary(),
    rowNumber: p.integer().primary(),
    /** Line of the file where the row starts; null for the people a sync would disable (not in the file). */
    line: p.integer().nullable(),
    action: p.enum(importActions),
    userId: p.uuid().nullable(),
    label: p.string().length(320).nullable(),
    data: p.json<Record<string, unknown>>().default('{}'),
    changes: p.json<Record<string, unknown>>().default('{}'),
    errors: p.json<Array<Record<string, unknown>>>().default('[]'),
    /** What the row cannot do that its file asks (e.g. an Organization Role): said, never blocking it. */
    notes: p.json<Array<Record<string, unknown>>>().default('[]'),
    selected: p.boolean().default(false),
    /** null: not yet; applied; failed (the reason is appended to errors). */
    outcome: p.string().length(20).nullable(),
  },
});

export class CsvImportRow extends CsvImportRowSchema.class {}
CsvImportRowSchema.setClass(CsvImportRow);
