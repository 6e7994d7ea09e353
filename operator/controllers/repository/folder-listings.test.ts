import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { FolderListings } from './folder-listings.ts';

const listing = (name: string) => ({ items: [{ id: name, name }], totalCount: 1, complete: true });

describe('FolderListings', () => {
  it('lists a container once per interval, sharing the listing in flight', async () => {
    const clock = new FakeClock();
    const listings = new FolderListings(clock);
    let calls = 0;
    const list = async () => listing(`v${++calls}`);
    const [a, b] = await Promise.all([listings.get('ns/c\nk', 1_000, list), listings.get('ns/c\nk', 1_000, list)]);
    expect([a.items[0]!.name, b.items[0]!.name, calls]).toEqual(['v1', 'v1', 1]);
    await clock.advance(999);
    expect((await listings.get('ns/c\nk', 1_000, list)).items[0]!.name).toBe('v1');
    await clock.advance(1);
    expect((await listings.get('ns/c\nk', 1_000, list)).items[0]!.name).toBe('v2');
    expect(listings.sent).toBe(2);
  });

  it('keeps no failed listing, and forgets one connection’s listings on a write', async () => {
    const listings = new FolderListings(new FakeClock());
    await expect(listings.get('ns/c\nk', 1_000, () => Promise.reject(new Error('503')))).rejects.toThrow('503');
    await Promise.resolve();
    expect(listings.size).toBe(0);
    await listings.get('ns/c\nk', 1_000, async () => listing('a'));
    await listings.get('ns/c2\nk', 1_000, async () => listing('b'));
    listings.forget('ns/c');
    expect(listings.size).toBe(1);
    expect((await listings.get('ns/c2\nk', 1_000, async () => listing('new'))).items[0]!.name).toBe('b');
  });
});
