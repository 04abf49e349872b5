/**
 * iBFT parser (src/iscsi/ibft.ts) and the sysfs view the kernel builds from it
 * (src/iscsi/ibft-sysfs.ts). Golden inputs: the two reference tables that booted a real
 * kernel (shared/reference/boot-and-isns/*.bin) and the byte-exact /sys/firmware/ibft
 * dump of that VM (ibft-vm-transcript.txt, `od -c` of every file); the independent
 * builder (test/support/ibft-builder.ts) must reproduce the reference table byte for byte.
 * Fuzz: truncations, random bytes and random single-byte edits give only typed
 * ProtocolErrors (code IBFT_*, errno 21, details.where/offset) or a table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/shared/errors.js';
import { formatIbftAddress, formatIbftLun, ibftSubnetMask, parseIbft } from '../../../src/iscsi/ibft.js';
import { ibftSysfsFiles } from '../../../src/iscsi/ibft-sysfs.js';
import { firmwareTargetsFromIbft } from '../../../src/discovery/firmware.js';
import { addressBytes, buildIbft, fixChecksum, ibftTree, referenceSpec, type IbftSpec } from '../../support/ibft-builder.js';
import { xorshift32 } from '../../support/prng.js';

const REF = '/work/shared/reference/boot-and-isns';
const haveRef = (() => {
  try {
    readFileSync(join(REF, 'ibft-two-targets.bin'));
    return true;
  } catch {
    return false;
  }
})();
const refBin = (name: string): Buffer => readFileSync(join(REF, name));

/** Run 1 of the VM transcript: `FILE <path> mode=444` + `od -An -c` lines → path → content. */
function vmDump(): Map<string, string> {
  const out = new Map<string, string>();
  const text = readFileSync(join(REF, 'ibft-vm-transcript.txt'), 'utf8');
  const run1 = text.slice(0, text.indexOf('######## run 2'));
  let path: string | undefined;
  let content = '';
  const flush = (): void => {
    if (path !== undefined) out.set(path, content);
    path = undefined;
    content = '';
  };
  for (const line of run1.split('\n')) {
    const m = /^FILE (\S+) mode=/.exec(line);
    if (m) {
      flush();
      path = m[1]!;
    } else if (path !== undefined && /^ {4}/.test(line)) {
      content += line.trim().split(/\s+/).map((t) => (t === '\\n' ? '\n' : t)).join('');
    } else flush();
  }
  flush();
  return out;
}

function expectIbftError(f: () => unknown, code: string, where?: string): ProtocolError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    const e = err as ProtocolError;
    expect(e.code).toBe(code);
    expect(e.errno).toBe(21);
    if (where !== undefined) expect(e.details.where).toBe(where);
    expect(typeof e.details.offset).toBe('number');
    return e;
  }
  throw new Error(`expected ${code}`);
}

describe('iBFT: the reference tables', () => {
  it.skipIf(!haveRef)('the independent builder reproduces ibft-two-targets.bin and ibft-one-target.bin byte for byte', () => {
    expect(buildIbft(referenceSpec(true)).equals(refBin('ibft-two-targets.bin'))).toBe(true);
    // One-target: same bytes with tgt1_off = 0 (and the checksum adjusted), per the reference.
    const one = refBin('ibft-one-target.bin');
    expect(one.length).toBe(519);
    expect(one.readUInt16LE(64)).toBe(0);
  });

  it.skipIf(!haveRef)('parses ibft-two-targets.bin: header, initiator, NIC, both targets with CHAP', () => {
    const t = parseIbft(refBin('ibft-two-targets.bin'));
    expect(t.header).toEqual({ signature: 'iBFT', length: 519, revision: 1, checksum: 0x2a, oemId: 'TSISCS', oemTableId: 'TSTABLE1' });
    expect(t.warnings).toEqual([]);
    expect(t.initiator).toMatchObject({ offset: 72, flags: 3, isnsServer: '10.0.2.2', slpServer: undefined, name: 'iqn.2024-01.test.tsiscsi:ibft-init' });
    expect(t.nics).toHaveLength(1);
    expect(t.nics[0]).toMatchObject({
      offset: 152, index: 0, flags: 3, ip: '10.0.2.15', prefixLength: 24, origin: 1, gateway: '10.0.2.2', primaryDns: '10.0.2.3',
      secondaryDns: undefined, dhcp: undefined, vlan: 0, mac: '52:54:00:12:34:56', pciBdf: 0x10, hostname: 'ibftclient',
    });
    expect(t.targets.map((g) => ({ ...g, lun: [...g.lun] }))).toEqual([
      { offset: 256, index: 0, flags: 3, ip: '10.0.2.2', port: 13260, lun: [0, 1, 0, 0, 0, 0, 0, 0], chapType: 0, nicAssoc: 0, name: 'iqn.2026-11.test:disk1',
        chapName: undefined, chapSecret: undefined, reverseChapName: undefined, reverseChapSecret: undefined },
      { offset: 312, index: 1, flags: 1, ip: 'fd00:0000:0000:0000:0000:0000:0002:0001', port: 3260, lun: [0, 0x1a, 0, 0, 0, 0, 0, 0], chapType: 2, nicAssoc: 0,
        name: 'iqn.2024-01.test.tsiscsi:ibft-second', chapName: 'chapuser', chapSecret: 'chapsecret123', reverseChapName: 'revuser', reverseChapSecret: 'revsecret4567' },
    ]);
  });

  it.skipIf(!haveRef)('ibft-one-target.bin has only target0', () => {
    const t = parseIbft(refBin('ibft-one-target.bin'));
    expect(t.targets.map((g) => g.name)).toEqual(['iqn.2026-11.test:disk1']);
  });

  it.skipIf(!haveRef)('the sysfs view equals the real kernel\'s /sys/firmware/ibft dump of the same table (VM transcript)', () => {
    const dump = vmDump();
    expect(dump.size).toBe(38); // 3 acpi_header + 4 initiator + 11 ethernet0 + 8 target0 + 12 target1
    const ours = ibftSysfsFiles(parseIbft(refBin('ibft-two-targets.bin')));
    expect(Object.fromEntries([...ours].sort())).toEqual(Object.fromEntries([...dump].sort()));
  });

  it.skipIf(!haveRef)('the test builder\'s sysfs tree matches the same dump (so fixtures built from it are faithful)', () => {
    expect(Object.fromEntries([...ibftTree(referenceSpec(true))].sort())).toEqual(Object.fromEntries([...vmDump()].sort()));
  });
});

describe('iBFT: kernel formats', () => {
  it.each([
    ['10.0.2.2', '10.0.2.2'],
    ['fd00::2:1', 'fd00:0000:0000:0000:0000:0000:0002:0001'],
    ['::1', '0000:0000:0000:0000:0000:0000:0000:0001'],
  ])('address %s → %s', (a, want) => {
    expect(formatIbftAddress(Uint8Array.from(addressBytes(a)))).toBe(want);
  });
  it('LUN bytes as unpadded %x', () => {
    expect(formatIbftLun(Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0]))).toBe('01000000');
    expect(formatIbftLun(Uint8Array.from([0x40, 0x1a, 0, 0xff, 0, 0, 0, 0]))).toBe('401a0ff0000');
  });
  it.each([[24, '255.255.255.0'], [8, '255.0.0.0'], [32, '255.255.255.255'], [1, '128.0.0.0'], [20, '255.255.240.0']])('subnet mask of /%i', (p, want) => {
    expect(ibftSubnetMask(p)).toBe(want);
  });
});

describe('iBFT: validation errors name the field and offset', () => {
  const good = (): Buffer => buildIbft(referenceSpec(true));

  it('short buffer → IBFT_TRUNCATED (header)', () => {
    expectIbftError(() => parseIbft(good().subarray(0, 40)), 'IBFT_TRUNCATED', 'header');
  });
  it('length field beyond the buffer → IBFT_TRUNCATED (header.length)', () => {
    expectIbftError(() => parseIbft(good().subarray(0, 500)), 'IBFT_TRUNCATED', 'header.length');
  });
  it('wrong signature → IBFT_SIGNATURE', () => {
    const b = good();
    b.write('XBFT', 0, 'latin1');
    expectIbftError(() => parseIbft(fixChecksum(b)), 'IBFT_SIGNATURE', 'header.signature');
  });
  it('IBFT and BIFT signatures are accepted', () => {
    for (const sig of ['IBFT', 'BIFT']) expect(parseIbft(buildIbft({ ...referenceSpec(true), signature: sig })).header.signature).toBe(sig);
  });
  it('revision 2 → IBFT_REVISION', () => {
    expectIbftError(() => parseIbft(buildIbft({ ...referenceSpec(true), revision: 2 })), 'IBFT_REVISION', 'header.revision');
  });
  it('bad checksum → IBFT_CHECKSUM at offset 9', () => {
    const b = good();
    b[9] = (b[9]! + 1) & 0xff;
    const e = expectIbftError(() => parseIbft(b), 'IBFT_CHECKSUM', 'header.checksum');
    expect(e.details.offset).toBe(9);
  });
  it('control structure with the wrong id, a short length or a non-zero index → IBFT_CONTROL', () => {
    const id = good();
    id[48] = 2;
    expectIbftError(() => parseIbft(fixChecksum(id)), 'IBFT_CONTROL', 'control.id');
    const len = good();
    len.writeUInt16LE(16, 50);
    expectIbftError(() => parseIbft(fixChecksum(len)), 'IBFT_CONTROL', 'control.length');
    const idx = good();
    idx[52] = 1;
    expectIbftError(() => parseIbft(fixChecksum(idx)), 'IBFT_CONTROL', 'control.index');
  });
  it('a string past the end of the table → IBFT_STRING_BOUNDS naming the field', () => {
    const b = good();
    b.writeUInt16LE(600, 312 + 44); // target1 chap_secret offset
    const e = expectIbftError(() => parseIbft(fixChecksum(b)), 'IBFT_STRING_BOUNDS', 'target[1].chap_secret');
    expect(e.details.offset).toBe(312 + 44);
    expect(e.message).not.toContain('chapsecret123');
  });
  it('a structure with the wrong length is skipped with a warning, as the kernel does', () => {
    const b = good();
    b.writeUInt16LE(53, 312 + 2);
    const t = parseIbft(fixChecksum(b));
    expect(t.targets.map((g) => g.index)).toEqual([0]);
    expect(t.warnings).toEqual([expect.objectContaining({ code: 'IBFT_STRUCTURE_SKIPPED', offset: 312 })]);
  });
  it('slot offsets of 0 or beyond the table are ignored', () => {
    const b = good();
    b.writeUInt16LE(0xffff, 64);
    expect(parseIbft(fixChecksum(b)).targets).toHaveLength(1);
  });
  it('a NIC-less, target-less table parses (firmware that only names the initiator)', () => {
    const spec: IbftSpec = { ...referenceSpec(false), nics: [], targets: [] };
    const t = parseIbft(buildIbft(spec));
    expect(t.nics).toEqual([]);
    expect(t.targets).toEqual([]);
  });
});

describe('iBFT: fuzz (only typed errors come out)', () => {
  const outcome = (b: Uint8Array): 'ok' | string => {
    try {
      parseIbft(b);
      return 'ok';
    } catch (err) {
      if (!(err instanceof ProtocolError) || !err.code.startsWith('IBFT_') || err.errno !== 21) throw err;
      return err.code;
    }
  };

  it('every truncation of the reference table is rejected with a typed error', () => {
    const full = buildIbft(referenceSpec(true));
    for (let n = 0; n < full.length; n++) expect(outcome(full.subarray(0, n))).not.toBe('ok');
  });
  it('2000 random buffers (some with a valid header) give a table or a typed error', () => {
    const next = xorshift32(0x1bf7);
    for (let i = 0; i < 2000; i++) {
      const len = next() % 600;
      const b = Buffer.alloc(len);
      for (let k = 0; k < len; k++) b[k] = next() & 0xff;
      if (len >= 10 && i % 2 === 0) {
        b.write('iBFT', 0, 'latin1');
        b.writeUInt32LE(len, 4);
        b[8] = 1;
        fixChecksum(b);
      }
      outcome(b);
    }
  });
  it('3000 single-byte edits of the reference table (checksum fixed) give a table or a typed error', () => {
    const next = xorshift32(0xace);
    const base = buildIbft(referenceSpec(true));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      b[next() % b.length] = next() & 0xff;
      if (i % 3 !== 0) fixChecksum(b);
      const r = outcome(b);
      if (r === 'ok') expect(() => ibftSysfsFiles(parseIbft(b))).not.toThrow();
    }
  });
});

describe('iBFT: targets from the raw table (src/discovery/firmware.ts)', () => {
  it.skipIf(!haveRef)('the reference table gives the two targets iscsiadm -m fw showed in the VM (CHAP, IPv6 form, initiator name)', () => {
    expect(firmwareTargetsFromIbft(parseIbft(refBin('ibft-two-targets.bin')))).toEqual([
      { target: 'iqn.2026-11.test:disk1', address: '10.0.2.2', port: 13260, initiatorName: 'iqn.2024-01.test.tsiscsi:ibft-init', username: '', password: '', usernameIn: '', passwordIn: '' },
      {
        target: 'iqn.2024-01.test.tsiscsi:ibft-second', address: 'fd00:0000:0000:0000:0000:0000:0002:0001', port: 3260, initiatorName: 'iqn.2024-01.test.tsiscsi:ibft-init',
        username: 'chapuser', password: 'chapsecret123', usernameIn: 'revuser', passwordIn: 'revsecret4567',
      },
    ]);
  });
  it('targets with flags 0, without a NIC of their nic-assoc, or whose NIC has flags 0 are left out', () => {
    const spec = referenceSpec(true);
    spec.targets[0]!.flags = 0;
    expect(firmwareTargetsFromIbft(parseIbft(buildIbft(spec))).map((t) => t.target)).toEqual(['iqn.2024-01.test.tsiscsi:ibft-second']);
    spec.targets[0]!.flags = 2;
    spec.targets[1]!.nicAssoc = 3;
    expect(firmwareTargetsFromIbft(parseIbft(buildIbft(spec))).map((t) => t.target)).toEqual(['iqn.2026-11.test:disk1']);
    spec.nics[0]!.flags = 0;
    expect(firmwareTargetsFromIbft(parseIbft(buildIbft(spec)))).toEqual([]);
  });
});
