import type { Request } from 'express';
import type { Requirement } from '../../directory/permissions.ts';
import type { ConsoleApi } from './api-client.ts';
import type { Html } from './html.ts';
import type { Viewer } from './viewer.ts';

export interface PageInput {
  req: Request;
  viewer: Viewer;
  api: ConsoleApi;
  /** The query string's single values (`simple` parser: repeated keys keep the first). */
  query: Record<string, string>;
  params: Record<string, string>;
}

export interface PageOutput {
  /** Overrides the route's title (a person's name, a group's name). */
  title?: string;
  body: Html;
}

/**
 * One console page: a GET path under /console, the section it belongs to (for
 * the navigation), who may open it, and how it renders from the admin API.
 */
export interface ConsoleRoute {
  path: string;
  title: string;
  section: string;
  requirement: Requirement | Requirement[];
  /** Tables with many columns use the full width. */
  wide?: boolean;
  render(input: PageInput): Promise<PageOutput>;
}

export function query(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.query)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') out[key] = first;
  }
  return out;
}
