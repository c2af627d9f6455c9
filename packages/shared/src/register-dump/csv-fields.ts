export type SplitFields = { ok: true; fields: string[] } | { ok: false; reason: string };

/**
 * Splits one line at `separator`. A field may be quoted with `"`, with `""` for a quote inside;
 * a quote inside an unquoted field is kept as text. Quoted fields do not span lines: in a file of
 * tens of thousands of rows one stray quote must cost one row, not swallow the rest of the file.
 */
export function splitCsvLine(line: string, separator: string): SplitFields {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      let from = i + 1;
      for (;;) {
        const quote = line.indexOf('"', from);
        if (quote === -1) return { ok: false, reason: 'a quoted field is not closed on this line' };
        value += line.slice(from, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          from = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return { ok: true, fields };
      if (line[i] !== separator) return { ok: false, reason: `text follows the closing quote of field ${fields.length}` };
      i++;
    } else {
      const end = line.indexOf(separator, i);
      if (end === -1) {
        fields.push(line.slice(i));
        return { ok: true, fields };
      }
      fields.push(line.slice(i, end));
      i = end + 1;
    }
  }
}
