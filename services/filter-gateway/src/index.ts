export { createGateway, type Gateway } from './gateway.js';
export { loadConfig, ConfigError, type GatewayConfig } from './config.js';
export { RuleSet, isEnforced } from './dns/rules/rule-set.js';
