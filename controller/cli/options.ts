// Option parsers shared by the orgplane command and the controller.
import { InvalidArgumentError } from 'commander';

/** A whole number >= 1 (e.g. --concurrency): NaN or 0 would silently lift or stall the limit. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** A share between 0 and 1 (--max-delete-fraction). */
export function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

/** A whole number >= 0 (--max-closures-per-run: 0 forbids closures). */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number of at least 0');
  return n;
}
