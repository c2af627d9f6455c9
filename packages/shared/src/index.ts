export * from './feed-types.js';
export * from './public-log-types.js';
export * from './matcher/index.js';
