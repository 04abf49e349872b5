/**
 * a TargetAlias with spaces or non-ASCII UTF-8 (an iSCSI-local-name-value, RFC 7143
 * §6.1, §13.6) is accepted as declared, never answered, and never taken for the target's
 * identity. The Login Requests are read from the raw bytes the fake target recorded.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TARGET_NAME } from '../../support/fake-target/index.js';
import { dataOf, loggedIn, ofKind, tur } from './helpers-jnr.js';

/** The key=value pairs of a Login Request, from its wire bytes. */
function wirePairs(raw: Buffer): Array<[string, string]> {
  return dataOf(raw).toString('utf8').split('\0').filter((item) => item !== '').map((item) => {
    const eq = item.indexOf('=');
    return [item.slice(0, eq), item.slice(eq + 1)];
  });
}

describe('A-07 TargetAlias', () => {
  for (const alias of ['Web Server 3 Disk 20', 'Speicher Ü-Süd 東京 #3']) {
    it(`A-07 accepts "${alias}" as declared and never answers it`, async () => {
      const { target, session } = await loggedIn({ declare: { MaxRecvDataSegmentLength: 262144, TargetAlias: alias } });
      expect(session.params?.targetAlias).toBe(alias);
      // Never answered, never echoed: no Login Request of ours carries the key.
      const requests = ofKind(target, 'login-request');
      expect(requests.length).toBeGreaterThan(0);
      for (const r of requests) expect(wirePairs(r.raw).map(([k]) => k)).not.toContain('TargetAlias');
      // Identity stays the TargetName: the session still names it, and works.
      expect(wirePairs(requests[0]!.raw)).toContainEqual(['TargetName', DEFAULT_TARGET_NAME]);
      expect(session.opts.targetName).toBe(DEFAULT_TARGET_NAME);
      expect(await tur(session)).toMatchObject({ status: 0 });
      expect(target.violations()).toEqual([]);
    });
  }
});
