// Option parsers shared by the orgplane command and the controller.
import { InvalidArgumentError } from 'commander';

/** A whole number >= 1 (e.g. --concurrency): NaN or 0 would silently lift or stall the limit. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}
