import { describe, expect, it } from 'vitest';
import { parseSendTargets } from '../../src/iscsi/sendtargets.js';
import { prng, randInt } from './scsi/helpers.js';

const DISCOVERY = { host: '192.0.2.1', port: 3260 };
type Pairs = Array<[string, string]>;

describe('parseSendTargets (RFC 7143 App. C)', () => {
  it('I-05 records of TargetName + TargetAddress with IPv4, [IPv6], DNS name and default port', () => {
    const pairs: Pairs = [
      ['TargetName', 'iqn.2001-04.com.example:disk1'],
      ['TargetAddress', '127.0.0.1:3270,1'],
      ['TargetName', 'iqn.2001-04.com.example:disk2'],
      ['TargetAddress', '[2001:db8::5]:3261,2'],
      ['TargetAddress', 'iscsi.example.com,3'],
    ];
    expect(parseSendTargets(pairs, DISCOVERY)).toEqual({
      targets: [
        { name: 'iqn.2001-04.com.example:disk1', portals: [{ host: '127.0.0.1', port: 3270, tpgt: 1 }] },
        {
          name: 'iqn.2001-04.com.example:disk2',
          portals: [
            { host: '2001:db8::5', port: 3261, tpgt: 2 },
            { host: 'iscsi.example.com', port: 3260, tpgt: 3 },
          ],
        },
      ],
      warnings: [],
    });
  });

  it('I-06 a record with no TargetAddress is reached through the discovery portal (tag -1)', () => {
    const pairs: Pairs = [
      ['TargetName', 'iqn.2001-04.com.example:a'],
      ['TargetName', 'iqn.2001-04.com.example:b'],
      ['TargetAddress', '10.0.0.5:3260,1'],
      ['TargetName', 'iqn.2001-04.com.example:c'],
    ];
    const r = parseSendTargets(pairs, { host: '2001:db8::9', port: 3261 });
    expect(r.targets).toEqual([
      { name: 'iqn.2001-04.com.example:a', portals: [{ host: '2001:db8::9', port: 3261, tpgt: -1 }] },
      { name: 'iqn.2001-04.com.example:b', portals: [{ host: '10.0.0.5', port: 3260, tpgt: 1 }] },
      { name: 'iqn.2001-04.com.example:c', portals: [{ host: '2001:db8::9', port: 3261, tpgt: -1 }] },
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('I-05 an address without ,tag gets tag -1 (open-iscsi PORTAL_GROUP_TAG_UNKNOWN)', () => {
    const r = parseSendTargets([['TargetName', 'iqn.x:y'], ['TargetAddress', '10.0.0.5:3262']], DISCOVERY);
    expect(r.targets[0]!.portals).toEqual([{ host: '10.0.0.5', port: 3262, tpgt: -1 }]);
  });

  it('I-07 an empty response is zero targets, not an error', () => {
    expect(parseSendTargets([], DISCOVERY)).toEqual({ targets: [], warnings: [] });
  });

  it('I-16 keeps both the IPv4 and the IPv6 portal of one target', () => {
    const r = parseSendTargets([
      ['TargetName', 'iqn.2001-04.com.example:dual'],
      ['TargetAddress', '10.0.0.5:3260,1'],
      ['TargetAddress', '[fe80::5%eth0]:3260,1'],
    ], DISCOVERY);
    expect(r.targets[0]!.portals).toEqual([
      { host: '10.0.0.5', port: 3260, tpgt: 1 },
      { host: 'fe80::5%eth0', port: 3260, tpgt: 1 },
    ]);
  });

  it('I-21 ignores other keys with a warning and keeps filling the record', () => {
    const r = parseSendTargets([
      ['TargetName', 'iqn.x:t'],
      ['TargetAlias', 'disk'],
      ['TargetAddress', '10.0.0.5:3260,1'],
      ['MaxRecvDataSegmentLength', '8192'],
    ], DISCOVERY);
    expect(r.targets).toEqual([{ name: 'iqn.x:t', portals: [{ host: '10.0.0.5', port: 3260, tpgt: 1 }] }]);
    expect(r.warnings.map((w) => w.code)).toEqual(['UNEXPECTED_KEY', 'UNEXPECTED_KEY']);
  });

  it('I-22 skips malformed TargetAddress values with a warning and keeps the good ones', () => {
    const r = parseSendTargets([
      ['TargetName', 'iqn.x:t'],
      ['TargetAddress', '[::1'],
      ['TargetAddress', 'host:abc'],
      ['TargetAddress', ''],
      ['TargetAddress', '10.0.0.5:3260,1'],
    ], DISCOVERY);
    expect(r.targets).toEqual([{ name: 'iqn.x:t', portals: [{ host: '10.0.0.5', port: 3260, tpgt: 1 }] }]);
    expect(r.warnings.map((w) => w.code)).toEqual(['BAD_TARGET_ADDRESS', 'BAD_TARGET_ADDRESS', 'BAD_TARGET_ADDRESS']);
  });

  it('I-22 a target whose only addresses are malformed is dropped, not sent to the discovery portal', () => {
    const r = parseSendTargets([['TargetName', 'iqn.x:bad'], ['TargetAddress', '10.0.0.5:99999'], ['TargetName', 'iqn.x:ok']], DISCOVERY);
    expect(r.targets.map((t) => t.name)).toEqual(['iqn.x:ok']);
    expect(r.warnings.map((w) => w.code)).toEqual(['BAD_TARGET_ADDRESS']);
  });

  it('a TargetAddress before any TargetName is skipped with a warning', () => {
    const r = parseSendTargets([['TargetAddress', '10.0.0.5:3260,1'], ['TargetName', 'iqn.x:t']], DISCOVERY);
    expect(r.warnings.map((w) => w.code)).toEqual(['ADDRESS_WITHOUT_TARGET']);
    expect(r.targets).toEqual([{ name: 'iqn.x:t', portals: [{ host: '192.0.2.1', port: 3260, tpgt: -1 }] }]);
  });

  it('an empty TargetName skips its record', () => {
    const r = parseSendTargets([['TargetName', ''], ['TargetAddress', '10.0.0.5']], DISCOVERY);
    expect(r.targets).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toEqual(['EMPTY_TARGET_NAME', 'ADDRESS_WITHOUT_TARGET']);
  });

  it('A-05 keeps target names byte-for-byte (uppercase EUI, mixed case IQN)', () => {
    const names = ['eui.02004567A425678D', 'iqn.2001-04.com.Example:Storage.Disk1', 'naa.52004567BA64678D', 'iqn.x:t\u00e9st'];
    const r = parseSendTargets(names.flatMap((n): Pairs => [['TargetName', n], ['TargetAddress', '10.0.0.5']]), DISCOVERY);
    expect(r.targets.map((t) => t.name)).toEqual(names);
  });

  it('D-20 keeps tag 0', () => {
    const r = parseSendTargets([['TargetName', 'iqn.x:t'], ['TargetAddress', '10.0.0.5:3260,0']], DISCOVERY);
    expect(r.targets[0]!.portals[0]!.tpgt).toBe(0);
  });

  it('merges a name reported twice and drops exact duplicate portals', () => {
    const r = parseSendTargets([
      ['TargetName', 'iqn.x:t'], ['TargetAddress', '10.0.0.5:3260,1'],
      ['TargetName', 'iqn.x:u'], ['TargetAddress', '10.0.0.6:3260,1'],
      ['TargetName', 'iqn.x:t'], ['TargetAddress', '10.0.0.5:3260,1'], ['TargetAddress', '10.0.0.7:3260,2'],
    ], DISCOVERY);
    expect(r.targets).toEqual([
      { name: 'iqn.x:t', portals: [{ host: '10.0.0.5', port: 3260, tpgt: 1 }, { host: '10.0.0.7', port: 3260, tpgt: 2 }] },
      { name: 'iqn.x:u', portals: [{ host: '10.0.0.6', port: 3260, tpgt: 1 }] },
    ]);
  });

  it('I-22 fuzz: random key/value sequences never throw', () => {
    const rand = prng(0x51);
    const keys = ['TargetName', 'TargetAddress', 'TargetAlias', 'X', ''];
    const values = ['', 'iqn.x:t', '10.0.0.5', '[::1', '[::1]:3261,0', 'host:abc', 'a,b', '1.2.3.4:0', 'eui.0123'];
    for (let i = 0; i < 3000; i++) {
      const pairs: Pairs = [];
      for (let n = randInt(rand, 12); n > 0; n--) pairs.push([keys[randInt(rand, keys.length)]!, values[randInt(rand, values.length)]!]);
      const r = parseSendTargets(pairs, DISCOVERY);
      for (const t of r.targets) expect(t.portals.length).toBeGreaterThan(0);
    }
  });
  it('I-05 I-22 a TargetAddress shared by many targets: each gets its own portal object, a bad one warns per target', () => {
    const pairs: Pairs = [];
    for (let i = 0; i < 3; i++) pairs.push(['TargetName', `iqn.2001-04.com.example:t${i}`], ['TargetAddress', '10.0.0.1:3260,1']);
    for (let i = 0; i < 2; i++) pairs.push(['TargetName', `iqn.2001-04.com.example:bad${i}`], ['TargetAddress', '10.0.0.1:99999,1']);
    const r = parseSendTargets(pairs, DISCOVERY);
    expect(r.targets.map((t) => t.portals)).toEqual([0, 1, 2].map(() => [{ host: '10.0.0.1', port: 3260, tpgt: 1 }]));
    r.targets[0]!.portals[0]!.port = 1;
    expect(r.targets[1]!.portals[0]!.port).toBe(3260);
    expect(r.warnings.map((w) => [w.code, w.message.split(':')[0]])).toEqual([
      ['BAD_TARGET_ADDRESS', 'target iqn.2001-04.com.example'],
      ['BAD_TARGET_ADDRESS', 'target iqn.2001-04.com.example'],
    ]);
    expect(r.warnings[0]!.message).toContain('bad0');
    expect(r.warnings[1]!.message).toContain('bad1');
  });
});
