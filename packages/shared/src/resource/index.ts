export { parseResource } from './parse-resource.js';
export { normaliseHost, hostToDisplay } from './host-name.js';
export { MIN_PREFIX_IPV4, MIN_PREFIX_IPV6 } from './ip-policy.js';
export type { ParsedResource, ParseResult } from './resource-types.js';
export { insideAddressReason, insideDestinationReason, outsideAddresses } from './inside-destination.js';
export { canonicalUrl, canonicalPath, canonicalHost, type CanonicalUrl } from './canonical-url.js';
