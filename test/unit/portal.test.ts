import { describe, expect, it } from 'vitest';
import {
  formatPortal,
  formatPortalForNodeList,
  formatPortalForRecord,
  isIpv4,
  isIpv6,
  parsePortal,
  parseTargetAddress,
  type ParsedPortal,
} from '../../src/iscsi/portal.js';
import { ConfigError, ProtocolError } from '../../src/shared/errors.js';
import { prng, randInt, thrown } from './scsi/helpers.js';

describe('parseTargetAddress (RFC 7143 §13.8)', () => {
  const good: Array<[string, ParsedPortal]> = [
    ['127.0.0.1:3270,1', { host: '127.0.0.1', port: 3270, tpgt: 1, family: 4 }],
    ['10.0.0.5:3261,2', { host: '10.0.0.5', port: 3261, tpgt: 2, family: 4 }],
    ['10.0.0.5,1', { host: '10.0.0.5', port: 3260, tpgt: 1, family: 4 }],
    ['[fe80::1%eth0]:3261,1', { host: 'fe80::1%eth0', port: 3261, tpgt: 1, family: 6 }],
    ['[2001:db8::5],7', { host: '2001:db8::5', port: 3260, tpgt: 7, family: 6 }],
    ['[::ffff:10.0.0.1]:3260,1', { host: '::ffff:10.0.0.1', port: 3260, tpgt: 1, family: 6 }],
    ['iscsi.example.com:3260,1', { host: 'iscsi.example.com', port: 3260, tpgt: 1, family: 0 }],
    ['storage1,3', { host: 'storage1', port: 3260, tpgt: 3, family: 0 }],
  ];
  for (const [value, expected] of good) {
    it(`I-05 parses ${value}`, () => {
      expect(parseTargetAddress(value)).toEqual(expected);
    });
  }

  it('G-02 redirect forms: new IP, new IP+port, same IP new port, [::1]:3261, DNS name, no port → 3260', () => {
    expect(parseTargetAddress('192.0.2.7')).toEqual({ host: '192.0.2.7', port: 3260, family: 4 });
    expect(parseTargetAddress('192.0.2.7:3300')).toEqual({ host: '192.0.2.7', port: 3300, family: 4 });
    expect(parseTargetAddress('[::1]:3261')).toEqual({ host: '::1', port: 3261, family: 6 });
    expect(parseTargetAddress('[::1]')).toEqual({ host: '::1', port: 3260, family: 6 });
    expect(parseTargetAddress('target.example.net')).toEqual({ host: 'target.example.net', port: 3260, family: 0 });
  });

  it('D-20 accepts portal group tag 0', () => {
    expect(parseTargetAddress('10.0.0.5:3260,0').tpgt).toBe(0);
  });

  it('I-05 a missing tag leaves tpgt undefined', () => {
    expect(parseTargetAddress('10.0.0.5:3260').tpgt).toBeUndefined();
    expect('tpgt' in parseTargetAddress('10.0.0.5:3260')).toBe(false);
  });

  it('accepts an unbracketed IPv6 literal (no port) as a courtesy', () => {
    expect(parseTargetAddress('fe80::1')).toEqual({ host: 'fe80::1', port: 3260, family: 6 });
    expect(parseTargetAddress('2001:db8::5,2')).toEqual({ host: '2001:db8::5', port: 3260, tpgt: 2, family: 6 });
  });

  const bad = [
    '[::1', 'host:abc', '', '10.0.0.5:65536', '10.0.0.5:0', '10.0.0.5:', '10.0.0.5,', '10.0.0.5,65536', '10.0.0.5,1,2',
    '10.0.0.5,-1', '10.0.0.5:+3260', '10.0.0.5:3260:1', '[10.0.0.5]:3260', '[::1]x', '[::1]:', '[]', '[fe80::1%]',
    ' 10.0.0.5', '10.0.0.5 ', 'a b', '256.1.1.1', '01.2.3.4', '1.2.3', 'fe80::1::2', 'fe80::1:3260x', ':3260', ',1',
    'host..example', 'bad/host', '[::1]:99999999', '10.0.0.5:3260,1x',
  ];
  for (const value of bad) {
    it(`I-22 rejects ${JSON.stringify(value)} with BAD_TARGET_ADDRESS`, () => {
      const err = thrown(() => parseTargetAddress(value));
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe('BAD_TARGET_ADDRESS');
      expect((err as ProtocolError).details.where).toBe('TargetAddress');
    });
  }

  it('I-22 fuzz: random strings give a valid portal or BAD_TARGET_ADDRESS, nothing else', () => {
    const rand = prng(0x7a);
    const alphabet = '0123456789abcdef:[].,%-xyz \u00e9';
    let ok = 0;
    for (let i = 0; i < 20000; i++) {
      let s = '';
      for (let n = randInt(rand, 24); n > 0; n--) s += alphabet[randInt(rand, alphabet.length)];
      try {
        const p = parseTargetAddress(s);
        ok++;
        expect(p.port).toBeGreaterThanOrEqual(1);
        expect(p.port).toBeLessThanOrEqual(65535);
        if (p.tpgt !== undefined) expect(p.tpgt).toBeLessThanOrEqual(65535);
        expect(p.host.length).toBeGreaterThan(0);
        if (p.family !== 0 && !p.host.includes('.')) expect(parseTargetAddress(formatPortalForRecord(p.host, p.port, p.tpgt ?? 1)).host).toBe(p.host);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code).toBe('BAD_TARGET_ADDRESS');
      }
    }
    expect(ok).toBeGreaterThan(0);
  });
});

describe('parsePortal (user -p input)', () => {
  it('accepts ip, ip:port, ip:port,tpgt, [v6]:port, bare v6, host name', () => {
    expect(parsePortal('192.168.1.10')).toEqual({ host: '192.168.1.10', port: 3260, family: 4 });
    expect(parsePortal('192.168.1.10:3261,2')).toEqual({ host: '192.168.1.10', port: 3261, tpgt: 2, family: 4 });
    expect(parsePortal('[fe80::1]:3261')).toEqual({ host: 'fe80::1', port: 3261, family: 6 });
    expect(parsePortal('fe80::2')).toEqual({ host: 'fe80::2', port: 3260, family: 6 });
    expect(parsePortal('localhost')).toEqual({ host: 'localhost', port: 3260, family: 0 });
    expect(parsePortal(' 10.0.0.5:3260 ')).toEqual({ host: '10.0.0.5', port: 3260, family: 4 });
  });

  it('uses the given default port (iSNS 3205)', () => {
    expect(parsePortal('10.0.0.9', 3205).port).toBe(3205);
  });

  for (const value of ['', '[::1', 'host:abc', '10.0.0.5:70000', 'a,b']) {
    it(`rejects ${JSON.stringify(value)} with ConfigError BAD_PORTAL, errno 7`, () => {
      const err = thrown(() => parsePortal(value));
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('BAD_PORTAL');
      expect((err as ConfigError).errno).toBe(7);
    });
  }
});

describe('address classification', () => {
  it('isIpv4', () => {
    for (const s of ['0.0.0.0', '255.255.255.255', '10.0.0.5']) expect(isIpv4(s)).toBe(true);
    for (const s of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', 'a.b.c.d', '']) expect(isIpv4(s)).toBe(false);
  });

  it('isIpv6', () => {
    for (const s of ['::', '::1', 'fe80::1%eth0', '2001:db8:0:0:0:0:0:1', '1::', '::ffff:192.0.2.1', 'fe80::1%25eth0']) expect(isIpv6(s)).toBe(true);
    for (const s of ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', ':::', '1::2::3', '12345::', 'g::1', '::1%', '10.0.0.1', '1:2:3:4:5:6:7::8']) expect(isIpv6(s)).toBe(false);
  });
});

describe('portal formatting (open-iscsi reference §6)', () => {
  it('formatPortal brackets addresses without a dot', () => {
    expect(formatPortal({ host: '127.0.0.1', port: 3260 })).toBe('127.0.0.1:3260');
    expect(formatPortal({ host: 'fe80::1', port: 3261 })).toBe('[fe80::1]:3261');
    expect(formatPortal({ host: 'localhost', port: 3260 })).toBe('[localhost]:3260');
    expect(formatPortal({ host: 'iscsi.example.com', port: 3260 })).toBe('iscsi.example.com:3260');
    expect(formatPortal({ host: 'fe80::1', port: 3260 }, false)).toBe('fe80::1:3260');
  });

  it('formatPortalForRecord matches discovery output: addr:port,tpgt, -1 signed', () => {
    expect(`${formatPortalForRecord('127.0.0.1', 3260, 1)} iqn.2001-04.com.example:t1`).toBe('127.0.0.1:3260,1 iqn.2001-04.com.example:t1');
    expect(formatPortalForRecord('192.168.1.10', 3260, 1)).toBe('192.168.1.10:3260,1');
    expect(formatPortalForRecord('2001:db8::5', 3260, 1)).toBe('[2001:db8::5]:3260,1');
    expect(formatPortalForRecord('10.0.0.5', 3260, -1)).toBe('10.0.0.5:3260,-1');
  });

  it('formatPortalForNodeList prints the tag unsigned like iscsiadm -m node', () => {
    expect(formatPortalForNodeList('10.0.0.5', 3260, -1)).toBe('10.0.0.5:3260,4294967295');
    expect(formatPortalForNodeList('fe80::1', 3260, 1)).toBe('[fe80::1]:3260,1');
  });
});
