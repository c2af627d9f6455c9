import { SafeHtml } from '../html.js';

/**
 * Gives a `table.cards` explicit table roles. At 360 px site.css stacks such a table into cards
 * with `display: block` / `grid`, and WebKit (Safari; VoiceOver on the phones such a width
 * is for) then drops the elements' implicit table semantics from the accessibility tree: a
 * screen reader reads loose text, not cells under their column headers. Chromium and Firefox
 * keep them. Explicit roles keep the table a table in every engine and layout
 * (WAI-ARIA 1.2 table, row, rowgroup, columnheader, rowheader, cell).
 *
 * The markup was built by `html`, so every `<` in it is a tag we wrote: data is escaped to
 * `&lt;` before it gets here, and the pattern cannot match inside a value.
 */
const TAG = /<(table class="cards"|thead|tbody|tr|th scope="col"|th scope="row"|td)(?=[\s>])/g;
const ROLE: Record<string, string> = {
  'table class="cards"': 'table',
  thead: 'rowgroup',
  tbody: 'rowgroup',
  tr: 'row',
  'th scope="col"': 'columnheader',
  'th scope="row"': 'rowheader',
  td: 'cell',
};

export function cardsTable(table: SafeHtml): SafeHtml {
  return new SafeHtml(table.value.replace(TAG, (_, tag: string) => `<${tag} role="${ROLE[tag]}"`));
}
