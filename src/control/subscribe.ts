/**
 * `subscribe` / `unsubscribe`: event notifications pushed on the caller's
 * connection. A subscription becomes active only after its id has been sent, so
 * the first event a client sees always carries an id it already knows.
 */
import { z } from 'zod';
import { controlError } from './errors.js';
import { defineMethod, type ServerCallContext } from './method.js';

export const SUBSCRIBE_METHOD = 'subscribe';
export const UNSUBSCRIBE_METHOD = 'unsubscribe';

/** Event type names: short identifiers such as `session.state`. */
const eventType = z.string().min(1).max(64);

export const subscribeMethod = defineMethod({
  name: SUBSCRIBE_METHOD,
  description: 'Receive event notifications (all types, or only those listed) on this connection.',
  params: z.object({ events: z.array(eventType).max(64).optional() }),
  result: z.object({ subscription: z.string() }),
  handler: (params, ctx: ServerCallContext) => {
    const { events, maxSubscriptions } = ctx.connection;
    if (events.subscriptionCount >= maxSubscriptions) {
      throw controlError('TOO_MANY_SUBSCRIPTIONS', `a connection may hold at most ${maxSubscriptions} subscriptions`, { max: maxSubscriptions });
    }
    const id = events.newId();
    ctx.connection.afterReply(() => events.activate(id, params.events));
    return { subscription: id };
  },
});

export const unsubscribeMethod = defineMethod({
  name: UNSUBSCRIBE_METHOD,
  description: 'Stop a subscription made on this connection.',
  params: z.object({ subscription: z.string().min(1).max(64) }),
  result: z.object({ unsubscribed: z.literal(true) }),
  handler: (params, ctx: ServerCallContext) => {
    if (!ctx.connection.events.remove(params.subscription)) {
      throw controlError('SUBSCRIPTION_NOT_FOUND', `no subscription "${params.subscription}" on this connection`, { subscription: params.subscription });
    }
    return { unsubscribed: true as const };
  },
});
