/** Vitest global setup: one build of dist/ before any test file runs (see dist.ts). */
import { buildIfStale } from './dist.js';

export default function setup(): void {
  buildIfStale();
}
