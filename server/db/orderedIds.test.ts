import { describe, expect, it } from 'vitest';
import { timeOrderedUuid } from './orderedIds.js';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID whose first 48 bits are the milliseconds', () => {
    const id = timeOrderedUuid(0x0123456789ab);
    expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts ids of later milliseconds after earlier ones, and never repeats', () => {
    const ids = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000].flatMap((ms) => Array.from({ length: 1000 }, () => timeOrderedUuid(ms)));
    const firstOfEach = [ids[0]!, ids[1000]!, ids[2000]!];
    expect([...firstOfEach].sort()).toEqual(firstOfEach);
    expect(ids.slice(0, 1000).every((id) => id < ids[1000]!)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
