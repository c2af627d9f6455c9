import { domainToASCII, domainToUnicode } from 'node:url';
import { quoteInput } from './quote-input.js';

/** RFC 1035 §2.3.4: 255 octets on the wire is 253 characters of text without the root dot. */
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
/**
 * Letters, digits and hyphen (RFC 1035 §2.3.1 "LDH", RFC 1123 §2.1), a label neither starting
 * nor ending with a hyphen; plus underscore: real names such as `_dmarc.example.kz` or
 * `my_site.example.kz` exist and resolve (RFC 2181 §11 allows any label in the DNS), and a
 * register must be able to name what is out there.
 */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
/** WHATWG URL reads a name whose last label is a number as an IPv4 address (`010.1.1.1` → 8.1.1.1). */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/i;
/**
 * domainToASCII would quietly percent-decode these, drop them, or stop reading at them
 * (`bad.kz/x` → `bad.kz`), turning one text into a different name.
 */
const NEVER_IN_A_NAME = /[%\s\p{Cc}/\\?#@:[\]<>^|]/u;

export type HostNameCheck = { ok: true; ascii: string } | { ok: false; reason: string };

function endsInNumber(name: string): boolean {
  const labels = name.split('.');
  if (labels.at(-1) === '' && labels.length > 1) labels.pop();
  return NUMERIC_LABEL.test(labels.at(-1) ?? '');
}

/**
 * Checks a host name's syntax and converts it to lower-case A-labels without a trailing dot.
 * Says nothing about whether restricting the name is sensible: see name-policy.ts.
 */
export function checkHostName(text: string): HostNameCheck {
  if (text === '') return { ok: false, reason: 'The name is empty.' };
  if (NEVER_IN_A_NAME.test(text)) return { ok: false, reason: `${quoteInput(text)} has spaces, control characters or one of % / \\ ? # @ : [ ] < > ^ | in it, which a host name cannot have.` };
  if (endsInNumber(text)) return { ok: false, reason: `${quoteInput(text)} is neither a valid IP address nor a host name (a name cannot end in a number).` };

  let ascii = domainToASCII(text);
  if (ascii === '') return { ok: false, reason: `${quoteInput(text)} is not a valid host name (IDNA conversion failed).` };
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  if (ascii === '') return { ok: false, reason: 'The name is empty.' };
  if (ascii.length > MAX_NAME_LENGTH) return { ok: false, reason: `${quoteInput(text)} is ${ascii.length} characters long in A-labels; a host name has at most ${MAX_NAME_LENGTH}.` };

  for (const label of ascii.split('.')) {
    if (label === '') return { ok: false, reason: `${quoteInput(text)} has an empty label (a leading dot or two dots in a row).` };
    if (label.length > MAX_LABEL_LENGTH) return { ok: false, reason: `${quoteInput(text)} has a label of ${label.length} characters; a label has at most ${MAX_LABEL_LENGTH}.` };
    if (!LABEL.test(label)) {
      const hyphenAtEnd = /^-|-$/.test(label) && /^[a-z0-9_-]+$/.test(label);
      return { ok: false, reason: hyphenAtEnd
        ? `${quoteInput(text)} has a label that starts or ends with a hyphen (${quoteInput(label)}), which a host name cannot have.`
        : `${quoteInput(text)} has characters other than letters, digits, hyphens and underscores in a label.` };
    }
  }
  // An `xn--` label that decodes to plain ASCII, or to something that encodes differently,
  // would give one rule two spellings; people see the Unicode form, so it must lead back here.
  if (ascii.includes('xn--') && domainToASCII(domainToUnicode(ascii)) !== ascii) {
    return { ok: false, reason: `${quoteInput(text)} has an xn-- label that is not the proper encoding of any Unicode label.` };
  }
  // Full-width digits and the like only become a number after IDNA mapping.
  if (endsInNumber(ascii)) return { ok: false, reason: `${quoteInput(text)} is neither a valid IP address nor a host name (a name cannot end in a number).` };
  return { ok: true, ascii };
}

/**
 * Lower-case A-labels without the trailing dot, or undefined when `text` is not a host name.
 * IP addresses are not names here (`1.2.3.4` → undefined): callers look them up as addresses.
 */
export function normaliseHost(text: string): string | undefined {
  const checked = checkHostName(text);
  return checked.ok ? checked.ascii : undefined;
}

/** The Unicode form of an A-label name, for people; the name itself when it has no Unicode form. */
export function hostToDisplay(ascii: string): string {
  return domainToUnicode(ascii) || ascii;
}
