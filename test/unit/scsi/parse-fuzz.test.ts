import { describe, expect, it } from 'vitest';
import {
  decodeLun,
  parseReadCapacity16,
  parseReportLuns,
  parseScsiResponseData,
  parseSense,
  parseStandardInquiry,
  parseVpdDeviceIdentification,
  parseVpdSupportedPages,
  parseVpdUnitSerial,
  reportLunsRequiredLength,
  vpdRequiredLength,
} from '../../../src/iscsi/scsi/parse.js';
import { ascii, hex, onlyProtocolError, prng, randBytes, randInt } from './helpers.js';

const PARSERS: Array<[string, (d: Buffer) => unknown]> = [
  ['decodeLun', decodeLun],
  ['parseReportLuns', parseReportLuns],
  ['reportLunsRequiredLength', reportLunsRequiredLength],
  ['parseStandardInquiry', parseStandardInquiry],
  ['parseVpdSupportedPages', parseVpdSupportedPages],
  ['parseVpdUnitSerial', parseVpdUnitSerial],
  ['parseVpdDeviceIdentification', parseVpdDeviceIdentification],
  ['vpdRequiredLength', vpdRequiredLength],
  ['parseReadCapacity16', parseReadCapacity16],
  ['parseSense', parseSense],
  ['parseScsiResponseData', parseScsiResponseData],
];

/** Valid inputs (hand-built) to mutate and truncate. */
const SEEDS: Buffer[] = [
  hex('00 00 00 10 00 00 00 00 00 01 00 00 00 00 00 00 41 2c 00 00 00 00 00 00'),
  Buffer.concat([hex('00 00 05 12 5b 00 00 02'), ascii('IET     VIRTUAL-DISK    0001'), Buffer.alloc(60)]),
  hex('00 00 00 03 00 80 83'),
  Buffer.concat([hex('00 80 00 06'), ascii('beaf11')]),
  hex('00 83 00 10 01 03 00 04 60 01 40 5a 53 98 00 04 69 71 6e 00'),
  Buffer.concat([hex('00 00 00 00 00 1f ff ff 00 00 02 00 05 03 c0 07'), Buffer.alloc(16)]),
  hex('70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00'),
  hex('72 03 11 00 00 00 00 0c 00 0a 80 00 00 00 00 01 00 00 10 00'),
  hex('00 12 70 00 05 00 00 00 00 0a 00 00 00 00 24 00 00 00 00 00 aa bb'),
];

describe('SCSI parsers fuzz: only ProtocolError BAD_SCSI_DATA escapes', () => {
  for (const [name, parse] of PARSERS) {
    it(`${name}: 3000 random buffers`, () => {
      const rand = prng(0x5c51 + name.length);
      let threw = 0;
      for (let i = 0; i < 3000; i++) {
        if (onlyProtocolError(() => parse(randBytes(rand, randInt(rand, 80))), 'BAD_SCSI_DATA')) threw++;
      }
      expect(threw).toBeGreaterThan(0);
    });

    it(`${name}: every prefix and byte mutations of valid responses`, () => {
      const rand = prng(0xbad5 + name.length);
      let calls = 0;
      for (const seed of SEEDS) {
        for (let n = 0; n <= seed.length; n++) {
          onlyProtocolError(() => parse(seed.subarray(0, n)), 'BAD_SCSI_DATA');
          calls++;
        }
        for (let k = 0; k < 300; k++) {
          const m = Buffer.from(seed);
          for (let j = 1 + randInt(rand, 4); j > 0; j--) m[randInt(rand, m.length)] = randInt(rand, 256);
          onlyProtocolError(() => parse(m), 'BAD_SCSI_DATA');
          calls++;
        }
      }
      expect(calls).toBeGreaterThan(SEEDS.length * 300);
    });
  }

  it('parsed results stay within their field ranges', () => {
    const rand = prng(77);
    for (let i = 0; i < 2000; i++) {
      const d = randBytes(rand, 8 + randInt(rand, 64));
      d[0] = 0x70 | randInt(rand, 4);
      const s = parseSense(d);
      expect(s.key).toBeGreaterThanOrEqual(0);
      expect(s.key).toBeLessThan(16);
      expect(s.asc).toBeLessThan(256);
      expect(typeof s.description).toBe('string');
    }
  });
});
