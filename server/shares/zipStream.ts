import { crc32 } from 'node:zlib';

/** One member of a zip: a folder (name ends with "/") or a file whose bytes are read when its turn comes. */
export interface ZipMember {
  /** Relative, "/"-separated, UTF-8. */
  name: string;
  mtime: number;
  /** For a file: its size (known up front) and its bytes. */
  file?: { size: number; read(): Promise<AsyncIterable<Uint8Array>> };
}

/**
 * A 32-bit size or offset field holding this value means "see the ZIP64
 * extra field" (APPNOTE 4.4.8), so a value must stay below it to be written
 * as it is; likewise 0xffff for the entry counts.
 */
const MAX_32 = 0xffff_ffff;
const MAX_16 = 0xffff;

/** General purpose flag bit 11: names are UTF-8 (so 中文 names survive any unzip). */
const UTF8_NAMES = 1 << 11;
/** Bit 3: the CRC (known only after the bytes) and sizes follow the data in a descriptor. */
const DATA_DESCRIPTOR = 1 << 3;
/** "Version needed to extract": 2.0 for STORE and folders, 4.5 for ZIP64 (APPNOTE 4.4.3.2). */
const VERSION_STORE = 20;
const VERSION_ZIP64 = 45;
/** "Made by": Unix, so the external attributes are Unix modes. */
const MADE_BY_UNIX = 3 << 8;
const ZIP64_EXTRA_ID = 0x0001;

/** MS-DOS date and time, the zip's own timestamp format (2-second steps, local years 1980-2107). */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31)));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A member where it lands in the zip; sizes are known up front, so every offset is too. */
interface Placed {
  name: Buffer;
  time: { time: number; date: number };
  folder: boolean;
  size: number;
  offset: number;
  /**
   * A file of 4 GiB or more: its local header carries a ZIP64 extra field,
   * which tells readers its data descriptor holds 8-byte sizes (APPNOTE 4.3.9.2).
   */
  zip64: boolean;
}

function flagsOf(entry: Placed): number {
  return UTF8_NAMES | (entry.folder ? 0 : DATA_DESCRIPTOR);
}

/** The ZIP64 extended information extra field: the 8-byte values, in the order APPNOTE 4.5.3 fixes, of the fields that overflowed. */
function zip64Extra(values: readonly number[]): Buffer {
  if (values.length === 0) return Buffer.alloc(0);
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(ZIP64_EXTRA_ID, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * i));
  return extra;
}

function localHeader(entry: Placed): Buffer {
  // CRC and sizes follow the data in its descriptor; a ZIP64 entry says so with 0xffffffff and zeros in its extra field.
  const extra = entry.zip64 ? zip64Extra([0, 0]) : Buffer.alloc(0);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(entry.zip64 ? VERSION_ZIP64 : VERSION_STORE, 4);
  header.writeUInt16LE(flagsOf(entry), 6);
  header.writeUInt16LE(0, 8); // STORE: the bytes as they are
  header.writeUInt16LE(entry.time.time, 10);
  header.writeUInt16LE(entry.time.date, 12);
  if (entry.zip64) {
    header.writeUInt32LE(MAX_32, 18);
    header.writeUInt32LE(MAX_32, 22);
  }
  header.writeUInt16LE(entry.name.length, 26);
  header.writeUInt16LE(extra.length, 28);
  return Buffer.concat([header, entry.name, extra]);
}

function dataDescriptor(entry: Placed, crc: number): Buffer {
  const descriptor = Buffer.alloc(entry.zip64 ? 24 : 16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc, 4);
  if (entry.zip64) {
    descriptor.writeBigUInt64LE(BigInt(entry.size), 8);
    descriptor.writeBigUInt64LE(BigInt(entry.size), 16);
  } else {
    descriptor.writeUInt32LE(entry.size, 8);
    descriptor.writeUInt32LE(entry.size, 12);
  }
  return descriptor;
}

function centralRecord(entry: Placed, crc: number): Buffer {
  const bigSize = entry.size >= MAX_32;
  const farOffset = entry.offset >= MAX_32;
  const extra = zip64Extra([...(bigSize ? [entry.size, entry.size] : []), ...(farOffset ? [entry.offset] : [])]);
  const version = extra.length > 0 ? VERSION_ZIP64 : VERSION_STORE;
  const record = Buffer.alloc(46);
  record.writeUInt32LE(0x02014b50, 0);
  record.writeUInt16LE(MADE_BY_UNIX | version, 4);
  record.writeUInt16LE(version, 6);
  record.writeUInt16LE(flagsOf(entry), 8);
  record.writeUInt16LE(0, 10);
  record.writeUInt16LE(entry.time.time, 12);
  record.writeUInt16LE(entry.time.date, 14);
  record.writeUInt32LE(crc, 16);
  record.writeUInt32LE(bigSize ? MAX_32 : entry.size, 20);
  record.writeUInt32LE(bigSize ? MAX_32 : entry.size, 24);
  record.writeUInt16LE(entry.name.length, 28);
  record.writeUInt16LE(extra.length, 30);
  record.writeUInt32LE((entry.folder ? 0o40755 : 0o100644) * 0x10000, 38);
  record.writeUInt32LE(farOffset ? MAX_32 : entry.offset, 42);
  return Buffer.concat([record, entry.name, extra]);
}

/**
 * The end of the central directory, preceded by its ZIP64 form and that
 * form's locator when the count, the directory's size or its offset does not
 * fit the classic record (APPNOTE 4.3.14 to 4.3.16).
 */
function endOfDirectory(count: number, size: number, offset: number): Buffer {
  const zip64 = count >= MAX_16 || size >= MAX_32 || offset >= MAX_32;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, MAX_16), 8);
  end.writeUInt16LE(Math.min(count, MAX_16), 10);
  end.writeUInt32LE(Math.min(size, MAX_32), 12);
  end.writeUInt32LE(Math.min(offset, MAX_32), 16);
  if (!zip64) return end;

  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4); // the record's size after this field
  record.writeUInt16LE(MADE_BY_UNIX | VERSION_ZIP64, 12);
  record.writeUInt16LE(VERSION_ZIP64, 14);
  // Disk numbers (16, 20) stay 0: one disk.
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(size), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + size), 8); // where the ZIP64 record starts: right after the directory
  locator.writeUInt32LE(1, 16); // disks in all
  return Buffer.concat([record, locator, end]);
}

const localHeaderLength = (entry: Placed) => 30 + entry.name.length + (entry.zip64 ? 20 : 0);
const descriptorLength = (entry: Placed) => (entry.zip64 ? 24 : 16);
function centralRecordLength(entry: Placed): number {
  const values = (entry.size >= MAX_32 ? 2 : 0) + (entry.offset >= MAX_32 ? 1 : 0);
  return 46 + entry.name.length + (values > 0 ? 4 + 8 * values : 0);
}
const endLength = (count: number, size: number, offset: number) => (count >= MAX_16 || size >= MAX_32 || offset >= MAX_32 ? 22 + 56 + 20 : 22);

/** Every member with its offset: the layout `zipSize` measures and `zipStream` writes. */
function place(members: readonly ZipMember[]): { placed: Placed[]; directoryOffset: number } {
  const placed: Placed[] = [];
  let offset = 0;
  for (const member of members) {
    const size = member.file?.size ?? 0;
    const entry: Placed = {
      name: Buffer.from(member.name),
      time: dosTime(member.mtime),
      folder: !member.file,
      size,
      offset,
      zip64: size >= MAX_32,
    };
    placed.push(entry);
    offset += localHeaderLength(entry) + (entry.folder ? 0 : size + descriptorLength(entry));
  }
  return { placed, directoryOffset: offset };
}

/** The bytes a zip of `members` will take: a Content-Length before anything is sent. */
export function zipSize(members: readonly ZipMember[]): number {
  const { placed, directoryOffset } = place(members);
  const directorySize = placed.reduce((total, entry) => total + centralRecordLength(entry), 0);
  return directoryOffset + directorySize + endLength(placed.length, directorySize, directoryOffset);
}

/** Small pieces (headers, small files) are sent in batches of about this size: one write per piece would cost a system call each. */
const BATCH_BYTES = 64 * 1024;

/** Passes large buffers on as they are and gathers small ones into batches. */
async function* batched(pieces: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let batch: Buffer[] = [];
  let size = 0;
  for await (const piece of pieces) {
    if (size > 0 && size + piece.length > BATCH_BYTES) {
      yield Buffer.concat(batch, size);
      batch = [];
      size = 0;
    }
    if (piece.length >= BATCH_BYTES) yield piece;
    else {
      batch.push(piece);
      size += piece.length;
    }
  }
  if (size > 0) yield Buffer.concat(batch, size);
}

/**
 * Streams a zip of `members` with STORE entries: no compression, so nothing
 * is buffered beyond one chunk, and each file's CRC-32 is computed as its
 * bytes pass and written after them in a data descriptor. ZIP64 records
 * appear where a size, an offset or the count needs them, so a file or a
 * folder past 4 GiB, or more than 65,535 members, still makes a valid zip.
 * Throws if a file yields other than its announced size.
 */
export function zipStream(members: readonly ZipMember[]): AsyncGenerator<Buffer> {
  return batched(zipPieces(members));
}

async function* zipPieces(members: readonly ZipMember[]): AsyncGenerator<Buffer> {
  const { placed, directoryOffset } = place(members);
  const crcs: number[] = [];
  for (const [i, entry] of placed.entries()) {
    yield localHeader(entry);
    const file = members[i]!.file;
    let crc = 0;
    if (file) {
      let size = 0;
      for await (const chunk of await file.read()) {
        const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        crc = crc32(bytes, crc);
        size += bytes.length;
        yield bytes;
      }
      if (size !== entry.size) throw new Error(`${members[i]!.name} had ${size} bytes, not ${entry.size}`);
      yield dataDescriptor(entry, crc);
    }
    crcs.push(crc);
  }
  const directory = Buffer.concat(placed.map((entry, i) => centralRecord(entry, crcs[i]!)));
  yield directory;
  yield endOfDirectory(placed.length, directory.length, directoryOffset);
}
