import { escapeHtml } from '../../lib/html.ts';

/**
 * A tiny auto-escaping template: every interpolated value is escaped unless it
 * is already `Html` (built by this tag), so console pages cannot forget to.
 */
export class Html {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

export type HtmlPart = Html | string | number | boolean | null | undefined | readonly HtmlPart[];

function render(part: HtmlPart): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlPart[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** `<option>`s with the current value selected. */
export function options(choices: ReadonlyArray<{ value: string; label: string }>, current: string | undefined): Html {
  return html`${choices.map((c) => html`<option value="${c.value}"${c.value === current ? html` selected` : ''}>${c.label}</option>`)}`;
}

/** A date as people read it in a table, with the exact ISO time in a tooltip; `—` when absent. */
export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span aria-label="never">—</span>`;
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

/** A query string from the defined values only, for links that keep the page's filters. */
export function queryString(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
