/**
 * `-p` syntax. Expected values were observed with iscsiadm 2.1.8: `iscsiadm -m node -o new
 * -T iqn.2000-01.x:y -p P` printed "New iSCSI node [tcp:[...] ADDRESS,PORT,TPGT iqn...]
 * added" (port after node mode's default of 3260 for -1).
 */
import { describe, expect, it } from 'vitest';
import { parsePortalArg } from '../../../src/cli/argv/portal.js';
import { parseCommandLine } from '../../../src/cli/argv/index.js';
import { atoi, strtoull, strtoulToInt } from '../../../src/cli/argv/c-number.js';

const OBSERVED: Array<[string, string, number, number]> = [
  ['1.2.3.4', '1.2.3.4', 3260, -1],
  ['1.2.3.4:3261', '1.2.3.4', 3261, -1],
  ['1.2.3.4:3261,7', '1.2.3.4', 3261, 7],
  ['1.2.3.4,7', '1.2.3.4', 3260, 7],
  ['[fe80::1]:3262,2', 'fe80::1', 3262, 2],
  ['[fe80::1]', 'fe80::1', 3260, -1],
  ['[fe80::1%eth0]:3260', 'fe80::1%eth0', 3260, -1],
  ['fe80::1', 'fe80::1', 3260, -1],
  ['fe80::1%eth0', 'fe80::1%eth0', 3260, -1],
  ['2001:db8::1,3', '2001:db8::1', 3260, 3],
  ['::1', '::1', 3260, -1],
  ['localhost:3263', 'localhost', 3263, -1],
  ['localhost', 'localhost', 3260, -1],
  ['host.example:99999', 'host.example', 99999, -1],
  ['1.2.3.4:abc', '1.2.3.4', 0, -1],
  ['1.2.3.4:', '1.2.3.4', 0, -1],
  ['1.2.3.4:-1', '1.2.3.4', 3260, -1],
  ['1.2.3.4,x', '1.2.3.4', 3260, 0],
  ['1.2.3.4:3260,', '1.2.3.4', 3260, 0],
  ['a:b', 'a', 0, -1],
  ['a:b,4', 'a', 0, 4],
  ['[::1]x:5', '::1', 5, -1],
  ['1.2.3.4:12abc,3', '1.2.3.4', 12, 3],
  ['[fe80::1]:', 'fe80::1', 0, -1],
  ['[::ffff:1.2.3.4]:3300', '[', 0, -1],
  ['host:3260:1', 'host:3260:1', 3260, -1],
  ['1.2.3.4:4294967297', '1.2.3.4', 1, -1],
  ['1.2.3.4,7:3261', '1.2.3.4,7', 3261, -1],
  ['a:b:c,5', 'a:b:c', 3260, 5],
  ['[fe80::1],5', 'fe80::1', 3260, 5],
  ['[fe80::1]x', 'fe80::1', 3260, -1],
  ['a,5:6', 'a,5', 6, -1],
  ['1.2.3.4:3260:3261', '1.2.3.4', 3260, -1],
  ['1.2.3.4: 77', '1.2.3.4', 77, -1],
  ['1.2.3.4:+77', '1.2.3.4', 77, -1],
  ['1.2.3.4,-2', '1.2.3.4', 3260, -2],
  ['1.2.3.4,4294967295', '1.2.3.4', 3260, -1],
  ['1.2.3.4, 9', '1.2.3.4', 3260, 9],
  ['a:,5', 'a', 0, 5],
  ['x,y,z', 'x', 3260, 0],
  ['[a]b:c,d', 'a', 0, 0],
];

describe('-p addr[:port][,tpgt] as iscsiadm 2.1.8 splits it', () => {
  for (const [text, address, port, tpgt] of OBSERVED) {
    it(`${JSON.stringify(text)} → ${address} port ${port} tpgt ${tpgt}`, () => {
      const r = parseCommandLine(['-m', 'node', '-o', 'new', '-T', 'iqn.2000-01.x:y', '-p', text]);
      expect(r).toMatchObject({ mode: 'node', action: 'new', portal: { address, port, tpgt } });
    });
  }

  it('empty addresses stay empty (iscsiadm then fails to add the record)', () => {
    for (const text of ['', ':3260', '[]:3260', '::ffff:1.2.3.4']) expect(parsePortalArg(text).address).toBe('');
  });

  it('an unclosed [ makes the portal absent, without touching port or tpgt', () => {
    expect(parsePortalArg('[::1')).toEqual({ address: null });
    const r = parseCommandLine(['-m', 'node', '-p', '1.2.3.4:3300,2', '-p', '[fe80::1']);
    expect(r).toMatchObject({ mode: 'node', action: 'list' });
    expect((r as { portal?: unknown }).portal).toBeUndefined();
  });

  it('a later -p without a port keeps the earlier port (iscsiadm does not reset it)', () => {
    expect(parseCommandLine(['-m', 'node', '-p', '1.2.3.4:3261,4', '-p', '5.6.7.8'])).toMatchObject({
      portal: { address: '5.6.7.8', port: 3261, portGiven: 3261, tpgt: -1 },
    });
  });

  it('discovery defaults: 3260, iSNS 3205, for any negative port', () => {
    expect(parseCommandLine(['-m', 'discovery', '-t', 'st', '-p', '10.0.0.1'])).toMatchObject({ portal: { port: 3260, portGiven: -1 } });
    expect(parseCommandLine(['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.1'])).toMatchObject({ portal: { port: 3205 } });
    expect(parseCommandLine(['-m', 'discoverydb', '-t', 'isns', '-p', '10.0.0.1:-5', '-o', 'new'])).toMatchObject({ portal: { port: 3205, portGiven: -5 } });
    expect(parseCommandLine(['-m', 'node', '-p', '10.0.0.1:-5'])).toMatchObject({ portal: { port: -5 } });
  });

  it('link-local IPv6 with %zone, bracketed and bare, in discovery', () => {
    expect(parseCommandLine(['-m', 'discovery', '-t', 'sendtargets', '-p', '[fe80::5054:ff:fe12:3456%ens3]:3261'])).toMatchObject({
      action: 'sendtargets', portal: { address: 'fe80::5054:ff:fe12:3456%ens3', port: 3261, tpgt: -1 },
    });
    expect(parseCommandLine(['-m', 'discovery', '-t', 'st', '-p', 'fe80::1%ens3'])).toMatchObject({
      portal: { address: 'fe80::1%ens3', port: 3260 },
    });
  });
});

describe('C number semantics (glibc, LP64)', () => {
  it('atoi: leading space and sign, stops at junk, truncates to int', () => {
    expect([atoi('1x'), atoi('x'), atoi(' -3'), atoi('+4'), atoi('99999999999'), atoi('99999999999999999999')])
      .toEqual([1, 0, -3, 4, 1215752191, -1]);
  });
  it('strtoull: negation modulo 2^64, ERANGE on overflow', () => {
    expect(strtoull('-1')).toEqual({ value: (1n << 64n) - 1n, erange: false });
    expect(strtoull('18446744073709551616')).toEqual({ value: (1n << 64n) - 1n, erange: true });
    expect(strtoulToInt('4294967297')).toBe(1);
    expect(strtoulToInt('-2')).toBe(-2);
  });
});
