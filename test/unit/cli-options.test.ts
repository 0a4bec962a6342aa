import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from 'commander';
import { positiveInt } from '../../controller/cli/options.js';

describe('positiveInt (--concurrency)', () => {
  it('accepts whole numbers from 1', () => {
    expect(positiveInt('1')).toBe(1);
    expect(positiveInt('8')).toBe(8);
  });
  it.each(['0', '-2', '1.5', 'abc', ''])('rejects %j with a message', (v) => {
    expect(() => positiveInt(v)).toThrow(InvalidArgumentError);
    expect(() => positiveInt(v)).toThrow('must be a whole number of at least 1');
  });
});
