/**
 * Messages of reference §6.4 that need iscsid or a kernel to appear (login success,
 * logout, rescan): expectations written from the reference's format strings and
 * examples. The daemon-less ones are checked against the real iscsiadm in test/golden.
 */
import { describe, expect, it } from 'vitest';
import * as m from '../../../src/cli/render/messages.js';
import { concat, toText } from '../../../src/cli/render/text.js';
import { ISCSI_ERR, ISCSI_ERR_TEXT } from '../../../src/shared/errors.js';

const t = { iface: 'default', target: 'iqn.2018-05.world.srv:dlp.target01', address: '10.0.0.30', port: 3260 };
const s = { sid: 3, target: 'iqn.2018-05.world.srv:dlp.target01', address: 'fd00::30', port: 3260 };

describe('login and logout messages (§6.4)', () => {
  it('prints login start (with and without " (multiple)") and success on stdout', () => {
    const r = concat(m.loggingIn(t, true), m.loginSucceeded(t));
    expect(toText(r.stdout)).toBe(
      'Logging in to [iface: default, target: iqn.2018-05.world.srv:dlp.target01, portal: 10.0.0.30,3260] (multiple)\n' +
      'Login to [iface: default, target: iqn.2018-05.world.srv:dlp.target01, portal: 10.0.0.30,3260] successful.\n',
    );
    expect(m.loggingIn(t).stdout).toEqual(['Logging in to [iface: default, target: iqn.2018-05.world.srv:dlp.target01, portal: 10.0.0.30,3260]']);
    expect(r.stderr).toEqual([]);
  });

  it('prints a login failure, its errno text and the summary on stderr', () => {
    const r = concat(m.loginFailed(t, ISCSI_ERR.LOGIN_AUTH_FAILED), m.loginSomeFailed());
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toEqual([
      'iscsiadm: Could not login to [iface: default, target: iqn.2018-05.world.srv:dlp.target01, portal: 10.0.0.30,3260].',
      'iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)',
      'iscsiadm: Could not log into all portals',
    ]);
  });

  it('prints logout start/success on stdout with unbracketed IPv6 portals, failures on stderr', () => {
    expect(concat(m.loggingOut(s), m.logoutSucceeded(s)).stdout).toEqual([
      'Logging out of session [sid: 3, target: iqn.2018-05.world.srv:dlp.target01, portal: fd00::30,3260]',
      'Logout of [sid: 3, target: iqn.2018-05.world.srv:dlp.target01, portal: fd00::30,3260] successful.',
    ]);
    expect(concat(m.logoutFailed(s, ISCSI_ERR.LOGOUT), m.logoutSomeFailed()).stderr).toEqual([
      'iscsiadm: Could not logout of [sid: 3, target: iqn.2018-05.world.srv:dlp.target01, portal: fd00::30,3260].',
      'iscsiadm: initiator reported error (10 - encountered iSCSI logout failure)',
      'iscsiadm: Could not logout of all requested sessions',
    ]);
  });

  it('prints the rescan line', () => {
    expect(m.rescanning(s).stdout).toEqual(['Rescanning session [sid: 3, target: iqn.2018-05.world.srv:dlp.target01, portal: fd00::30,3260]']);
  });
});

describe('record messages', () => {
  it('prints the reference -o new example', () => {
    const r = m.newNode({
      transport: 'tcp', hwAddress: '', ipAddress: '', netIfacename: '', iface: 'default',
      address: '192.168.20.10', port: 3260, tpgt: -1, target: 'iqn.2005-10.org.freenas.ctl:vol1',
    });
    expect(r.stdout).toEqual(['New iSCSI node [tcp:[hw=,ip=,net_if=,iscsi_if=default] 192.168.20.10,3260,-1 iqn.2005-10.org.freenas.ctl:vol1] added']);
  });

  it('prints the record-in-use refusal and the nr_sessions warning', () => {
    expect(m.recordInUse(t).stderr).toEqual([
      'iscsiadm: This command will remove the record [iface: default, target: iqn.2018-05.world.srv:dlp.target01, portal: 10.0.0.30,3260], but a session is using it. Logout session then rerun command to remove record.',
    ]);
    expect(m.sessionsAlreadyPresent('iqn.t', 2, 2).stderr).toEqual(['iscsiadm: iqn.t: 2 sessions requested, but 2 already present.']);
    expect(m.sessionsAlreadyPresent('iqn.t', 1, 1).stderr).toEqual(['iscsiadm: iqn.t: 1 session requested, but 1 already present.']);
  });

  it('prints iface and usage messages', () => {
    expect(concat(m.ifaceDeleted('eth-a'), m.ifaceApplied('eth-a')).stdout).toEqual(['eth-a unbound and deleted.', 'eth-a applied.']);
    expect(m.invalidInfoLevel(4, 'session').stderr).toEqual(['iscsiadm: Invalid info level 4. Try 0 - 3.']);
    expect(m.invalidInfoLevel(5, 'host').stderr).toEqual(['iscsiadm: Invalid info level 5. Try 0 - 4.']);
    expect(m.optionNotAllowed('session', 'T').stderr).toEqual(["iscsiadm: session mode: option '-T' is not allowed/supported"]);
    expect(m.versionBanner('2.1.8').stdout).toEqual(['iscsiadm version 2.1.8']);
  });

  it('uses the §2.5 text of every errno and "unknown error" outside the table', () => {
    for (let errno = 1; errno <= 33; errno++) {
      expect(m.initiatorError(errno).stderr).toEqual([`iscsiadm: initiator reported error (${errno} - ${ISCSI_ERR_TEXT[errno]})`]);
    }
    expect(m.errText(12)).toBe('iSCSI driver not found. Please make sure it is loaded, and retry the operation');
    expect(m.errText(99)).toBe('unknown error');
    expect(m.sendTargetsFailed(ISCSI_ERR.TRANS_TIMEOUT).stderr).toEqual(['iscsiadm: Could not perform SendTargets discovery: connection timed out']);
  });
});
