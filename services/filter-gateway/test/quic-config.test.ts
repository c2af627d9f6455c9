import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('QUIC and relay settings (DESIGN "Running")', () => {
  it('defaults: QUIC on UDP 8443, no fixed target, inside destinations refused', () => {
    const c = loadConfig({});
    expect(c.quicPort).toBe(8443);
    expect(c.quicForwardTarget).toBeUndefined();
    expect(c.relayAllowPrivate).toBe(false);
  });

  it('reads QUIC_PORT, QUIC_FORWARD_TARGET and RELAY_ALLOW_PRIVATE', () => {
    const c = loadConfig({ QUIC_PORT: '9443', QUIC_FORWARD_TARGET: '[2001:db8::1]:443', RELAY_ALLOW_PRIVATE: '1' });
    expect(c.quicPort).toBe(9443);
    expect(c.quicForwardTarget).toEqual({ host: '2001:db8::1', port: 443 });
    expect(c.relayAllowPrivate).toBe(true);
    expect(loadConfig({ RELAY_ALLOW_PRIVATE: '0' }).relayAllowPrivate).toBe(false);
  });

  it('names the variable when it is wrong', () => {
    expect(() => loadConfig({ QUIC_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadConfig({ QUIC_PORT: '70000' })).toThrow(/QUIC_PORT/);
    expect(() => loadConfig({ QUIC_FORWARD_TARGET: 'nowhere' })).toThrow(/QUIC_FORWARD_TARGET/);
  });
});
