const MAX_QUOTED_LENGTH = 80;

/**
 * Input echoed back inside a refusal reason. Operators paste from documents and dumps, so the
 * text may be huge or hold invisible characters; a reason must stay one short readable line.
 */
export function quoteInput(text: string): string {
  const visible = text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '\uFFFD');
  const chars = Array.from(visible);
  const shown = chars.length > MAX_QUOTED_LENGTH ? `${chars.slice(0, MAX_QUOTED_LENGTH - 1).join('')}…` : visible;
  return `\`${shown}\``;
}
