/**
 * Method specs: the name and the zod schemas of one control method, without its
 * handler. The daemon binds a handler to each spec (src/daemon/handlers); the CLI
 * imports the specs for their types only (`import type`), so it loads neither zod
 * nor any daemon code at run time.
 */
import type { ZodType, input as ZodInput, output as ZodOutput } from 'zod';

/** A method's name, one-line description and schemas. */
export interface MethodSchema<P extends ZodType = ZodType, R extends ZodType = ZodType> {
  readonly name: string;
  readonly description: string;
  readonly params: P;
  readonly result: R;
}

/** Declare a method spec (identity function that keeps the exact schema types). */
export function methodSpec<P extends ZodType, R extends ZodType>(spec: MethodSchema<P, R>): MethodSchema<P, R> {
  return spec;
}

/** What a client sends for method `S` (optional fields may be left out). */
export type ParamsOf<S extends MethodSchema> = ZodInput<S['params']>;
/** What the daemon answers for method `S`. */
export type ResultOf<S extends MethodSchema> = ZodOutput<S['result']>;
