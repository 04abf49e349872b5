/**
 * Every daemon method spec (name + zod params/result, no handlers). The daemon binds
 * handlers in src/daemon/handlers; clients import these for types.
 */
import { configGet } from './config-get.js';
import { daemonStatus } from './daemon-status.js';
import { daemonStop } from './daemon-stop.js';
import { discoveryDelete } from './discovery-delete.js';
import { discoveryIsns } from './discovery-isns.js';
import { discoveryList } from './discovery-list.js';
import { discoveryNew } from './discovery-new.js';
import { discoverySendTargets } from './discovery-sendtargets.js';
import { discoveryShow } from './discovery-show.js';
import { discoveryUpdate } from './discovery-update.js';
import { hostChapDelete } from './host-chap-delete.js';
import { hostChapList } from './host-chap-list.js';
import { hostChapSet } from './host-chap-set.js';
import { hostFlashnodeList } from './host-flashnode-list.js';
import { hostFlashnodeOp } from './host-flashnode-op.js';
import { hostStats } from './host-stats.js';
import { discoveryFirmware, firmwareLogin } from './firmware.js';
import { ifaceApplyProfile } from './iface-apply-profile.js';
import { ifaceDelete } from './iface-delete.js';
import { ifaceList } from './iface-list.js';
import { ifaceNew } from './iface-new.js';
import { ifaceShow } from './iface-show.js';
import { ifaceUpdate } from './iface-update.js';
import { initiatorGet } from './initiator-get.js';
import { initiatorSet } from './initiator-set.js';
import { nodeApplyProfile } from './node-apply-profile.js';
import { nodeDelete } from './node-delete.js';
import { nodeList } from './node-list.js';
import { nodeLogin } from './node-login.js';
import { nodeLoginAll } from './node-login-all.js';
import { nodeLogout } from './node-logout.js';
import { nodeLogoutAll } from './node-logout-all.js';
import { nodeNew } from './node-new.js';
import { nodeShow } from './node-show.js';
import { nodeUpdate } from './node-update.js';
import { profileList } from './profile-list.js';
import { sessionInfoMethod } from './session-info.js';
import { sessionList } from './session-list.js';
import { sessionLoginNew } from './session-login-new.js';
import { sessionLogout } from './session-logout.js';
import { sessionRescan } from './session-rescan.js';
import { sessionStats } from './session-stats.js';

export {
  configGet, daemonStatus, daemonStop,
  discoveryDelete, discoveryIsns, discoveryList, discoveryNew, discoverySendTargets, discoveryShow, discoveryUpdate,
  ifaceApplyProfile, ifaceDelete, ifaceList, ifaceNew, ifaceShow, ifaceUpdate, initiatorGet, initiatorSet,
  nodeApplyProfile, nodeDelete, nodeList, nodeLogin, nodeLoginAll, nodeLogout, nodeLogoutAll, nodeNew, nodeShow, nodeUpdate,
  hostChapDelete, hostChapList, hostChapSet, hostFlashnodeList, hostFlashnodeOp, hostStats,
  profileList, sessionInfoMethod, sessionList, sessionLoginNew, sessionLogout, sessionRescan, sessionStats,
};
export { discoveryFirmware, firmwareLogin };
export { methodSpec, type MethodSchema, type ParamsOf, type ResultOf } from './spec.js';
export { EVENT_TYPES, daemonEvent, type DaemonEvent } from './events.js';

/** Every method spec, by name. */
export const METHOD_SPECS = {
  'discovery.sendtargets': discoverySendTargets,
  'discovery.isns': discoveryIsns,
  'discovery.list': discoveryList,
  'discovery.show': discoveryShow,
  'discovery.new': discoveryNew,
  'discovery.update': discoveryUpdate,
  'discovery.delete': discoveryDelete,
  'discovery.firmware': discoveryFirmware,
  'firmware.login': firmwareLogin,
  'node.list': nodeList,
  'node.show': nodeShow,
  'node.new': nodeNew,
  'node.update': nodeUpdate,
  'node.delete': nodeDelete,
  'node.login': nodeLogin,
  'node.logout': nodeLogout,
  'node.loginAll': nodeLoginAll,
  'node.logoutAll': nodeLogoutAll,
  'node.applyProfile': nodeApplyProfile,
  'session.list': sessionList,
  'session.info': sessionInfoMethod,
  'session.stats': sessionStats,
  'session.logout': sessionLogout,
  'session.loginNew': sessionLoginNew,
  'session.rescan': sessionRescan,
  'iface.list': ifaceList,
  'iface.show': ifaceShow,
  'iface.new': ifaceNew,
  'iface.update': ifaceUpdate,
  'iface.delete': ifaceDelete,
  'iface.applyProfile': ifaceApplyProfile,
  'host.chap.list': hostChapList,
  'host.chap.set': hostChapSet,
  'host.chap.delete': hostChapDelete,
  'host.flashnode.list': hostFlashnodeList,
  'host.flashnode.op': hostFlashnodeOp,
  'host.stats': hostStats,
  'profile.list': profileList,
  'initiator.get': initiatorGet,
  'initiator.set': initiatorSet,
  'config.get': configGet,
  'daemon.status': daemonStatus,
  'daemon.stop': daemonStop,
} as const;

/** A daemon method name. */
export type MethodName = keyof typeof METHOD_SPECS;
