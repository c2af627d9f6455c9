export * from './tlog-fetch.js';
export * from './verifier-state.js';
export * from './verify-tlog.js';
