/** Every daemon method: each spec of src/control/methods bound to its handler. */
import type { AnyMethod } from '../../control/method.js';
import type { HandlerContext } from './context.js';
import { discoveryMethods } from './discovery.js';
import { firmwareMethods } from './firmware.js';
import { hostOffloadMethods } from './host-offload.js';
import { ifaceMethods } from './iface.js';
import { miscMethods } from './misc.js';
import { nodeMethods } from './node.js';
import { profileMethods } from './profile.js';
import { sessionMethods } from './session.js';

export type { HandlerContext, InitiatorIdentity } from './context.js';

/** All methods, ready for ControlServer.register. */
export function daemonMethods(ctx: HandlerContext): AnyMethod[] {
  return [...discoveryMethods(ctx), ...firmwareMethods(ctx), ...nodeMethods(ctx), ...sessionMethods(ctx), ...ifaceMethods(ctx), ...hostOffloadMethods(ctx), ...profileMethods(ctx), ...miscMethods(ctx)];
}
