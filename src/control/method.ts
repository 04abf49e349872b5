/**
 * Control methods: a name, a zod schema for params and one for the result, and a
 * handler. The daemon defines one per file and registers them with the server;
 * the server validates every request's params against the schema before the
 * handler runs (the error names the bad field path) and, in debug mode, checks
 * results too. zod is imported for types only: schemas are built by callers.
 */
import type { ZodType, input as ZodInput, output as ZodOutput } from 'zod';
import { controlError } from './errors.js';

/** Who is calling, as far as the server knows (from `hello`). */
export interface PeerInfo {
  readonly client: string;
  readonly version: string;
}

/** What a handler gets besides its params. */
export interface CallContext {
  /** Server-unique number of the connection the request came on. */
  readonly connectionId: number;
  /** Aborted when that connection closes: long operations may stop waiting. */
  readonly signal: AbortSignal;
  /** The peer's hello (undefined only while `hello` itself runs). */
  readonly peer: PeerInfo | undefined;
}

/** Everything needed to define a method. `C` is the context type its handler gets. */
export interface MethodSpec<P extends ZodType, R extends ZodType, C = CallContext> {
  /** Dotted lowerCamel name, e.g. `session.list`; `rpc.*` is reserved by JSON-RPC. */
  readonly name: string;
  /** One line for docs and `hello` listings. */
  readonly description?: string;
  readonly params: P;
  readonly result: R;
  /** Gets validated params; returns the wire form of the result. Throw IscsiError on failure. */
  readonly handler: (params: ZodOutput<P>, ctx: C) => ZodInput<R> | Promise<ZodInput<R>>;
}

/** A defined method (what `defineMethod` returns and registries hold). */
export interface MethodDef<P extends ZodType = ZodType, R extends ZodType = ZodType, C = CallContext> extends MethodSpec<P, R, C> {
  readonly kind: 'control-method';
}

/** Any method, whatever its schemas (for tables). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMethod<C = CallContext> = MethodDef<ZodType, ZodType, C> | MethodDef<any, any, C>;

const NAME = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/;

/** Define a method; the name is checked here so a bad table fails at start-up. */
export function defineMethod<P extends ZodType, R extends ZodType, C = CallContext>(spec: MethodSpec<P, R, C>): MethodDef<P, R, C> {
  if (!NAME.test(spec.name) || spec.name.startsWith('rpc.') || spec.name.length > 64) {
    throw controlError('METHOD_NAME_INVALID', `method name "${spec.name}" must be dotted lowerCamel words (not rpc.*), at most 64 chars`, { method: spec.name });
  }
  return { ...spec, kind: 'control-method' };
}

/** A name → method table. */
export class MethodRegistry<C = CallContext> {
  private readonly byName = new Map<string, AnyMethod<C>>();

  constructor(methods: readonly AnyMethod<C>[] = []) {
    for (const m of methods) this.add(m);
  }

  /** Add a method; a second method with the same name is a programming error. */
  add(method: AnyMethod<C>): this {
    if (this.byName.has(method.name)) {
      throw controlError('METHOD_DUPLICATE', `method "${method.name}" is registered twice`, { method: method.name });
    }
    this.byName.set(method.name, method);
    return this;
  }

  get(name: string): AnyMethod<C> | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/** `["sessions", 0, "target"]` → `sessions[0].target`; the root is `(params)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(params)' : out;
}

interface Issue {
  readonly path: string;
  readonly message: string;
}

interface ZodIssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly keys?: readonly string[];
}

/** zod issues → `{path, message}`; an unknown key is reported at its own path. */
function issuesOf(error: { issues: readonly ZodIssueLike[] }): Issue[] {
  const out: Issue[] = [];
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys' && i.keys !== undefined && i.keys.length > 0) {
      for (const k of i.keys) out.push({ path: formatPath([...i.path, k]), message: 'unknown field' });
    } else {
      out.push({ path: formatPath(i.path), message: i.message });
    }
  }
  return out.slice(0, 20);
}

/** Validate raw params (absent → `{}`); throws INVALID_PARAMS naming the first bad field. */
export function parseParams<C>(method: AnyMethod<C>, raw: unknown): unknown {
  const r = method.params.safeParse(raw === undefined ? {} : raw);
  if (r.success) return r.data;
  const issues = issuesOf(r.error);
  const first = issues[0];
  const where = first ? `${first.path}: ${first.message}` : 'invalid';
  throw controlError('INVALID_PARAMS', `invalid params for ${method.name}: ${where}`, { method: method.name, issues });
}

/** Check a handler's result against its schema (debug mode); throws RESULT_INVALID. */
export function checkResult<C>(method: AnyMethod<C>, value: unknown): void {
  const r = method.result.safeParse(value);
  if (r.success) return;
  const issues = issuesOf(r.error);
  const first = issues[0];
  throw controlError('RESULT_INVALID', `result of ${method.name} does not match its schema: ${first?.path}: ${first?.message}`, { method: method.name, issues });
}

/** Run a handler on already validated params; in debug mode check the result too. */
export async function runHandler<C>(method: AnyMethod<C>, params: unknown, ctx: C, debug: boolean): Promise<unknown> {
  const result: unknown = await method.handler(params, ctx);
  if (debug) checkResult(method, result);
  return result;
}

/** What built-in methods (hello, subscribe) can do to their own connection. */
export interface ConnectionControl {
  /** Record a successful hello: the connection may now call other methods. */
  completeHello(peer: PeerInfo): void;
  /** Run `fn` right after this call's response line has been written. */
  afterReply(fn: () => void): void;
  /** Limits announced in hello. */
  readonly announced: { readonly maxFrameBytes: number; readonly maxInFlight: number; readonly maxRequestsPerSecond: number };
  readonly maxSubscriptions: number;
  /** Subscriptions of this connection. */
  readonly events: {
    readonly subscriptionCount: number;
    newId(): string;
    activate(id: string, types: readonly string[] | undefined): void;
    remove(id: string): boolean;
  };
}

/** Context of built-in methods: a CallContext plus their connection. */
export interface ServerCallContext extends CallContext {
  readonly connection: ConnectionControl;
  /** Names of all methods this server offers. */
  readonly methodNames: () => readonly string[];
  readonly serverVersion: string;
}
