/**
 * Orders strings by code point, which is how SQLite's BINARY collation orders
 * their UTF-8 bytes (the state database's path indexes). JavaScript's `<`
 * compares UTF-16 units instead, and the two disagree only where a character
 * outside the Basic Multilingual Plane (a surrogate pair, 0xD800-0xDFFF)
 * meets one in 0xE000-0xFFFF: by code point the pair sorts last.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return unitRank(x) - unitRank(y);
    return x - y;
  }
  return a.length - b.length;
}

/** A UTF-16 unit from 0xD800 up, ranked in code point order: surrogates above 0xE000-0xFFFF. */
function unitRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
