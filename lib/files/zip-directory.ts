import type { StagedFile } from './file-store.js';
import { readBounded } from './file-store.js';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const END_RECORD_BYTES = 22;
const MAX_COMMENT_BYTES = 0xffff;
/** An OFD of a few hundred pages lists a few thousand entries; a directory beyond this is not a scan. */
const MAX_DIRECTORY_BYTES = 4 * 1024 * 1024;

/**
 * The names in a zip's central directory, read from its end: the authoritative
 * list (a local header can be a stale leftover of an update). Undefined when the
 * bytes are no readable zip, or a ZIP64 one, which no scan needs.
 */
export async function zipEntryNames(file: StagedFile): Promise<string[] | undefined> {
  const tailBytes = Math.min(file.size, END_RECORD_BYTES + MAX_COMMENT_BYTES);
  const tail = await readBounded(await file.read({ start: file.size - tailBytes, end: file.size - 1 }), tailBytes);
  const end = findEndRecord(tail);
  if (end === undefined) return undefined;
  const entries = tail.readUInt16LE(end + 10);
  const directoryBytes = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (directoryBytes === 0 || directoryBytes > MAX_DIRECTORY_BYTES || directoryOffset + directoryBytes > file.size) return undefined;
  const directory = await readBounded(
    await file.read({ start: directoryOffset, end: directoryOffset + directoryBytes - 1 }),
    directoryBytes,
  );
  const names: string[] = [];
  let at = 0;
  for (let i = 0; i < entries; i++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== DIRECTORY_ENTRY) return undefined;
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    names.push(directory.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** The last end record whose comment length reaches exactly the end of the file. */
function findEndRecord(tail: Buffer): number | undefined {
  for (let at = tail.length - END_RECORD_BYTES; at >= 0; at--) {
    if (tail.readUInt32LE(at) === END_OF_DIRECTORY && at + END_RECORD_BYTES + tail.readUInt16LE(at + 20) === tail.length) return at;
  }
  return undefined;
}
