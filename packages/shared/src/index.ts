export * from './feed-types.js';
export * from './matcher/matcher-types.js';
