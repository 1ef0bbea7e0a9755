import { describe, expect, it } from 'vitest';
import { clientAddressOf } from '../../src/api/http/client-address.ts';

describe('clientAddressOf', () => {
  it('drops the port a proxy wrote after an IPv4 or bracketed IPv6 address', () => {
    expect(clientAddressOf('203.0.113.7:5555')).toBe('203.0.113.7');
    expect(clientAddressOf('[2001:db8::7]:5555')).toBe('2001:db8::7');
    expect(clientAddressOf('[2001:db8::7]')).toBe('2001:db8::7');
  });

  it('leaves plain addresses, IPv4-mapped IPv6 and anything unrecognised as they are', () => {
    for (const ip of ['127.0.0.1', '2001:db8::7', '::ffff:127.0.0.1', '::1', 'unknown', '999.1.1.1:80', '[not-an-ip]:80', '']) {
      expect(clientAddressOf(ip)).toBe(ip);
    }
  });
});
