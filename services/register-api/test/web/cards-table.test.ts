import { describe, expect, it } from 'vitest';
import { html } from '../../src/web/html.js';
import { cardsTable } from '../../src/web/parts/cards-table.js';

describe('cardsTable', () => {
  it('gives every table part its explicit role, and leaves escaped data alone', () => {
    const hostile = '<td class="x"><tr><th scope="col">';
    const out = cardsTable(html`<div class="scroll" tabindex="0"><table class="cards"><caption>c</caption>
<thead><tr><th scope="col">A</th><th scope="col">B</th></tr></thead>
<tbody><tr><th scope="row">r</th><td data-label="B" class="num">${hostile}</td></tr></tbody></table></div>`).value;
    expect(out).toContain('<table class="cards" role="table">');
    expect(out.match(/role="rowgroup"/g)).toHaveLength(2);
    expect(out.match(/<tr role="row">/g)).toHaveLength(2);
    expect(out.match(/<th scope="col" role="columnheader">/g)).toHaveLength(2);
    expect(out).toContain('<th scope="row" role="rowheader">r</th>');
    expect(out).toContain('<td role="cell" data-label="B" class="num">&lt;td class=&quot;x&quot;&gt;&lt;tr&gt;&lt;th scope=&quot;col&quot;&gt;</td>');
    // Nothing else gained a role: the caption, the wrapper and the escaped text.
    expect(out.match(/role="/g)).toHaveLength(9);
  });
});
