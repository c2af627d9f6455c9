export * from './feed-types.js';
export * from './public-log-types.js';
export * from './matcher/index.js';
export * from './resource/index.js';
export * from './register-dump/index.js';
export * from './public-log/index.js';
export * from './seeded-random.js';
export * from './rpz/index.js';
