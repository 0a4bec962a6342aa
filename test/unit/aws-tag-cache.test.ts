import { describe, expect, it } from 'vitest';
import { TagCache } from '../../controller/aws/tag-cache.js';

describe('TagCache', () => {
  it('returns what was stored until the TTL passes, then forgets it', () => {
    let now = 1_000;
    const cache = new TagCache(60_000, () => now);
    cache.set('ou-1', { team: 'a' });
    expect(cache.get('ou-1')).toEqual({ team: 'a' });
    now += 59_999;
    expect(cache.get('ou-1')).toEqual({ team: 'a' });
    now += 1;
    expect(cache.get('ou-1')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('hands out copies, so a caller editing tags cannot change the cache', () => {
    const cache = new TagCache(60_000);
    cache.set('p-1', { a: '1' });
    const got = cache.get('p-1')!;
    got.a = 'changed';
    expect(cache.get('p-1')).toEqual({ a: '1' });
  });

  it('invalidate drops one entry', () => {
    const cache = new TagCache(60_000);
    cache.set('a', {});
    cache.set('b', { x: 'y' });
    cache.invalidate('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toEqual({ x: 'y' });
  });
});
