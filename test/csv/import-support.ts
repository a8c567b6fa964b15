import request from 'supertest';
import type { SeededOrg, TestApp } from '../support/app.ts';
import { auth } from '../people/support.ts';

export function upload(t: TestApp, org: SeededOrg, csv: string | Buffer, query: Record<string, string> = {}) {
  const qs = new URLSearchParams({ mode: 'upsert', ...query }).toString();
  return request(t.app).post(`/api/orgs/${org.slug}/imports?${qs}`).set(auth(org.tokens.admin)).set('Content-Type', 'text/csv').send(csv);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- preview rows are JSON read by assertions
export async function previewRows(t: TestApp, org: SeededOrg, id: string): Promise<Array<Record<string, any>>> {
  const res = await request(t.app).get(`/api/orgs/${org.slug}/imports/${id}/rows?limit=1000`).set(auth(org.tokens.admin)).expect(200);
  return res.body.rows;
}

export function commit(t: TestApp, org: SeededOrg, id: string, body: unknown = { rows: 'all' }) {
  return request(t.app).post(`/api/orgs/${org.slug}/imports/${id}/commit`).set(auth(org.tokens.admin)).send(body as object);
}

export const csv = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;
