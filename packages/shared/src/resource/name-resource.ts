import { checkHostName, hostToDisplay } from './host-name.js';
import { refuseName } from './name-policy.js';
import type { ParseResult } from './resource-types.js';

export function parseDomainResource(input: string): ParseResult {
  const checked = checkHostName(input);
  if (!checked.ok) return checked;
  const refusal = refuseName(checked.ascii, 'domain', input);
  if (refusal) return { ok: false, reason: refusal };
  return { ok: true, resource: { kind: 'domain', value: checked.ascii, display: hostToDisplay(checked.ascii), host: checked.ascii } };
}

/** `input` starts with `*.`; the value is the name without it, as the feed carries suffixes. */
export function parseDomainSuffixResource(input: string): ParseResult {
  const checked = checkHostName(input.slice(2));
  if (!checked.ok) return checked;
  const refusal = refuseName(checked.ascii, 'domain_suffix', input);
  if (refusal) return { ok: false, reason: refusal };
  return {
    ok: true,
    resource: { kind: 'domain_suffix', value: checked.ascii, display: `*.${hostToDisplay(checked.ascii)}`, host: checked.ascii },
  };
}
