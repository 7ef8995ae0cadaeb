import { crc32 } from 'node:zlib';

/** One member of a zip: a folder (name ends with "/") or a file whose bytes are read when its turn comes. */
export interface ZipMember {
  /** Relative, "/"-separated, UTF-8. */
  name: string;
  mtime: number;
  /** For a file: its size (known up front) and its bytes. */
  file?: { size: number; read(): Promise<AsyncIterable<Uint8Array>> };
}

/** Without ZIP64 every size and offset must stay below 4 GiB. */
export const ZIP_LIMIT = 0xffff_ffff;

const UTF8_NAMES = 1 << 11;
const DATA_DESCRIPTOR = 1 << 3;

/** MS-DOS date and time, the zip's own timestamp format (2-second steps, local years 1980-2107). */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.min(Math.max(ms, Date.UTC(1980, 0, 1)), Date.UTC(2107, 11, 31)));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

interface Written {
  name: Buffer;
  flags: number;
  time: { time: number; date: number };
  crc: number;
  size: number;
  offset: number;
  folder: boolean;
}

function localHeader(entry: Written): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4); // version needed: 2.0
  header.writeUInt16LE(entry.flags, 6);
  header.writeUInt16LE(0, 8); // STORE: the bytes as they are
  header.writeUInt16LE(entry.time.time, 10);
  header.writeUInt16LE(entry.time.date, 12);
  // CRC and sizes follow the data in its descriptor (the CRC is known only then).
  header.writeUInt16LE(entry.name.length, 26);
  return Buffer.concat([header, entry.name]);
}

function dataDescriptor(entry: Written): Buffer {
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(entry.crc, 4);
  descriptor.writeUInt32LE(entry.size, 8);
  descriptor.writeUInt32LE(entry.size, 12);
  return descriptor;
}

function centralRecord(entry: Written): Buffer {
  const record = Buffer.alloc(46);
  record.writeUInt32LE(0x02014b50, 0);
  record.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the external attributes are Unix modes)
  record.writeUInt16LE(20, 6);
  record.writeUInt16LE(entry.flags, 8);
  record.writeUInt16LE(0, 10);
  record.writeUInt16LE(entry.time.time, 12);
  record.writeUInt16LE(entry.time.date, 14);
  record.writeUInt32LE(entry.crc, 16);
  record.writeUInt32LE(entry.size, 20);
  record.writeUInt32LE(entry.size, 24);
  record.writeUInt16LE(entry.name.length, 28);
  record.writeUInt32LE((entry.folder ? 0o40755 : 0o100644) * 0x10000, 38);
  record.writeUInt32LE(entry.offset, 42);
  return Buffer.concat([record, entry.name]);
}

function endOfDirectory(count: number, size: number, offset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}

/** The bytes a zip of `members` will take: lets a caller refuse one too big before sending anything. */
export function zipSize(members: readonly ZipMember[]): number {
  return members.reduce((total, member) => {
    const name = Buffer.byteLength(member.name);
    return total + 30 + name + 46 + name + (member.file ? member.file.size + 16 : 0);
  }, 22);
}

/**
 * Streams a zip of `members` with STORE entries: no compression, so nothing
 * is buffered beyond one chunk, and each file's CRC-32 is computed as its
 * bytes pass and written after them in a data descriptor. Throws if a file
 * yields other than its announced size. The caller keeps the total under
 * ZIP_LIMIT (see `zipSize`) and the count under 65535.
 */
export async function* zipStream(members: readonly ZipMember[]): AsyncGenerator<Buffer> {
  const written: Written[] = [];
  let offset = 0;
  for (const member of members) {
    const entry: Written = {
      name: Buffer.from(member.name),
      flags: UTF8_NAMES | (member.file ? DATA_DESCRIPTOR : 0),
      time: dosTime(member.mtime),
      crc: 0,
      size: 0,
      offset,
      folder: !member.file,
    };
    const header = localHeader(entry);
    yield header;
    offset += header.length;
    if (member.file) {
      for await (const chunk of await member.file.read()) {
        const bytes = Buffer.from(chunk);
        entry.crc = crc32(bytes, entry.crc);
        entry.size += bytes.length;
        yield bytes;
      }
      if (entry.size !== member.file.size) throw new Error(`${member.name} had ${entry.size} bytes, not ${member.file.size}`);
      const descriptor = dataDescriptor(entry);
      yield descriptor;
      offset += entry.size + descriptor.length;
    }
    written.push(entry);
  }
  const directory = Buffer.concat(written.map(centralRecord));
  yield directory;
  yield endOfDirectory(written.length, directory.length, offset);
}
