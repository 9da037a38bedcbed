import { constants, inflateSync } from 'node:zlib';
import { PdfUnreadableError } from './file-errors.js';

/**
 * What a PDF's object and cross-reference streams may inflate to, together.
 * pdf-lib decodes these while it loads a document (other streams, the pages'
 * images, it leaves alone), so a few hundred KB deflated to gigabytes of
 * zeros would hold the gateway's memory and CPU for as long as it inflates.
 * Real object streams hold a document's dictionaries: kilobytes to a few MB.
 */
export const OBJECT_STREAMS_MAX_BYTES = 64 * 2 ** 20;

const STREAM = /stream\r?\n/g;
/** How far back from `stream` a dictionary's start is looked for. */
const DICTIONARY_WINDOW = 4096;

/** A name as pdf-lib reads it: `#xx` escapes decoded, no whitespace, so `/Type /Obj#53tm` is `/Type/ObjStm`. */
function normalised(dictionary: string): string {
  return dictionary.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/\s+/g, '');
}

/**
 * Refuses a PDF whose object or cross-reference streams would inflate beyond
 * `budget`, or that encodes them other than with FlateDecode (the others —
 * LZW, run-length, ASCII — serve no purpose there but another kind of bomb),
 * before pdf-lib decodes any of them: the check inflates each with zlib's
 * output bound, so it never holds more than the budget.
 */
export function assertObjectStreamsBounded(bytes: Uint8Array, budget = OBJECT_STREAMS_MAX_BYTES): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let left = budget;
  for (const match of text.matchAll(STREAM)) {
    const start = match.index + match[0].length;
    const head = text.slice(Math.max(0, match.index - DICTIONARY_WINDOW), match.index);
    const dictionary = normalised(head.slice(Math.max(0, head.lastIndexOf('obj'))));
    if (!/\/Type\/(ObjStm|XRef)\b/.test(dictionary)) continue;
    const filter = /\/Filter(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dictionary)?.[1];
    if (filter === undefined) continue;
    if (filter !== '/FlateDecode' && filter !== '[/FlateDecode]' && filter !== '/Fl') {
      throw new PdfUnreadableError(`its object streams are encoded as ${filter}`);
    }
    const end = text.indexOf('endstream', start);
    const data = bytes.subarray(start, end === -1 ? bytes.length : end);
    try {
      left -= inflateSync(data, { maxOutputLength: Math.max(1, left), finishFlush: constants.Z_SYNC_FLUSH }).length;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new PdfUnreadableError(`its object streams inflate beyond ${budget} bytes`, { cause: error });
      }
      // Not deflate at all: pdf-lib tells whether the document is readable.
    }
    if (left <= 0) throw new PdfUnreadableError(`its object streams inflate beyond ${budget} bytes`);
  }
}
