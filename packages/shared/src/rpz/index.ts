export * from './rpz-ip-owner.js';
export * from './rpz-records.js';
export * from './rpz-soa.js';
export * from './rpz-text.js';
export * from './rpz-precedence.js';
export * from './rpz-cover.js';
