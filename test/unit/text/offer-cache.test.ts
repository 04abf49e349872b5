/**
 * offerPreferences validates an offer once per distinct set of wire values (a login per
 * target used to validate the same offer every time): the shared result must never let
 * an invalid offer through (F-01, F-12, §13.14).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/shared/errors.js';
import { defaultOffer } from '../../../src/iscsi/text/negotiate.js';
import { offerPreferences } from '../../../src/iscsi/text/params.js';
import { TEXT_ERR } from '../../../src/iscsi/text/text-errors.js';
import { thrownCode } from './helpers.js';

describe('offer validation cache', () => {
  it('the same values give the same validated preferences; different values are validated anew', () => {
    const a = offerPreferences(defaultOffer('Normal'));
    expect(offerPreferences({ ...defaultOffer('Normal') })).toBe(a);
    expect(a.get('MaxRecvDataSegmentLength')).toBe('262144');
    const d = offerPreferences(defaultOffer('Discovery'));
    expect(d).not.toBe(a);
    expect(d.get('MaxRecvDataSegmentLength')).toBe('32768');
    const digests = offerPreferences({ ...defaultOffer('Normal'), headerDigest: ['CRC32C', 'None'] });
    expect(digests.get('HeaderDigest')).toBe('CRC32C,None');
    expect(a.get('HeaderDigest')).toBe('None');
  });

  it('F-01 F-12 §13.14 an invalid offer is refused every time, also next to a cached valid one', () => {
    const ok = defaultOffer('Normal');
    offerPreferences(ok);
    for (let i = 0; i < 2; i++) {
      expect(thrownCode(() => offerPreferences({ ...ok, headerDigest: ['crc32c' as 'CRC32C'] }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
      expect(thrownCode(() => offerPreferences({ ...ok, errorRecoveryLevel: 1 }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
      expect(thrownCode(() => offerPreferences({ ...ok, firstBurstLength: 65536, maxBurstLength: 512 }), ConfigError)).toBe(TEXT_ERR.OFFER_INVALID);
    }
    // The cached valid entry is unchanged.
    expect(offerPreferences(ok).get('HeaderDigest')).toBe('None');
  });
});
