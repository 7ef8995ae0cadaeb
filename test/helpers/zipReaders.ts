import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Two independent zip readers, to check a zip the service wrote: Info-ZIP's
 * `unzip` and Python's zipfile (both in scripts/system-packages.txt). Run
 * asynchronously, so a service in the test's own process keeps serving
 * meanwhile (a blocked event loop breaks its keep-alive sockets).
 */
const run = promisify(execFile);

/** `unzip -t`: every member's CRC and size against its headers; rejects unless all pass. */
export async function unzipTest(file: string): Promise<string> {
  return (await run('unzip', ['-t', '-q', file], { encoding: 'utf8', maxBuffer: 1 << 24 })).stdout;
}

export interface ZipListing {
  /** `testzip()`: the first member whose CRC or size is wrong, or null. */
  bad: string | null;
  count: number;
  /** The members named in `show`, in the zip's order: size, whether flagged UTF-8, local header offset, and a small file's text. */
  shown: Array<{ name: string; size: number; utf8: boolean; offset: number; text: string | null }>;
}

const PYTHON = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
show = set(json.loads(sys.argv[2]))
shown = [{"name": i.filename, "size": i.file_size, "utf8": bool(i.flag_bits & 0x800), "offset": i.header_offset,
          "text": z.read(i).decode() if i.file_size < 100 and not i.is_dir() else None}
         for i in z.infolist() if i.filename in show]
print(json.dumps({"bad": z.testzip(), "count": len(z.infolist()), "shown": shown}))`;

/** Python's zipfile: reads the central directory (ZIP64 where present) and checks every member's CRC. */
export async function pythonZipListing(file: string, show: readonly string[]): Promise<ZipListing> {
  return JSON.parse((await run('python3', ['-c', PYTHON, file, JSON.stringify(show)], { encoding: 'utf8', maxBuffer: 1 << 24 })).stdout) as ZipListing;
}
