/**
 * A tagged template that escapes every interpolated value unless it is markup this
 * template produced itself. Escaping by default means a renderer cannot forget it
 * for one field; the brand symbol is module-private, so no caller can pass a plain
 * string off as markup.
 */
const MARKUP: unique symbol = Symbol('markup');

export interface SafeHtml {
  readonly [MARKUP]: string;
}

export type HtmlValue = SafeHtml | string | number | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let markup = strings[0]!;
  values.forEach((value, i) => {
    markup += toMarkup(value) + strings[i + 1]!;
  });
  return { [MARKUP]: markup };
}

export function markupOf(fragment: SafeHtml): string {
  return fragment[MARKUP];
}

function toMarkup(value: HtmlValue): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return escapeHtml(String(value));
  if (Array.isArray(value)) return value.map(toMarkup).join('');
  return (value as SafeHtml)[MARKUP];
}
