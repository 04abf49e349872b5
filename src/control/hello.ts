/**
 * `hello`: the first exchange on every connection. The client says who it is and
 * which protocol version it speaks; the server answers with its version, the
 * methods it offers and the limits it applies. Any other method before a
 * successful hello fails with HELLO_REQUIRED; a protocol other than ours fails with
 * PROTOCOL_VERSION_MISMATCH (the connection stays open for another hello).
 */
import { z } from 'zod';
import { controlError } from './errors.js';
import { defineMethod, type ServerCallContext } from './method.js';
import { PROTOCOL_VERSION, SERVER_NAME, type HelloParams, type HelloResult } from './protocol.js';

export const HELLO_METHOD = 'hello';

export const helloParamsSchema = z.object({
  client: z.string().min(1).max(128),
  version: z.string().max(64),
  protocol: z.number().int(),
}) satisfies z.ZodType<HelloParams>;

export const helloResultSchema = z.object({
  server: z.literal(SERVER_NAME),
  version: z.string(),
  protocol: z.literal(PROTOCOL_VERSION),
  methods: z.array(z.string()),
  limits: z.object({
    maxFrameBytes: z.number().int().positive(),
    maxInFlight: z.number().int().positive(),
    maxRequestsPerSecond: z.number().positive(),
  }),
}) satisfies z.ZodType<HelloResult>;

/** The built-in `hello` method. */
export const helloMethod = defineMethod({
  name: HELLO_METHOD,
  description: 'Version handshake; must be the first call on a connection.',
  params: helloParamsSchema,
  result: helloResultSchema,
  handler: (params, ctx: ServerCallContext): z.input<typeof helloResultSchema> => {
    if (params.protocol !== PROTOCOL_VERSION) {
      throw controlError(
        'PROTOCOL_VERSION_MISMATCH',
        `client speaks control protocol ${params.protocol}, ${SERVER_NAME} speaks ${PROTOCOL_VERSION}`,
        { requested: params.protocol, supported: [PROTOCOL_VERSION] },
      );
    }
    ctx.connection.completeHello({ client: params.client, version: params.version });
    return {
      server: SERVER_NAME,
      version: ctx.serverVersion,
      protocol: PROTOCOL_VERSION,
      methods: [...ctx.methodNames()],
      limits: ctx.connection.announced,
    };
  },
});
