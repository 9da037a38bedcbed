import { crc32, deflateSync } from 'node:zlib';
import { PDFDocument } from 'pdf-lib';

/** Real files of each kind, made from scratch, for the file checks and the upload tests. */

export async function pdfWithPages(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([595, 842]).drawText(`materials scan, page ${i + 1}`, { x: 50, y: 780 });
  return Buffer.from(await doc.save({ useObjectStreams: false }));
}

/** pdf-lib writes no encryption; a trailer naming an /Encrypt dictionary is what readers go by. */
export async function encryptedPdf(): Promise<Buffer> {
  const text = (await pdfWithPages(1)).toString('latin1');
  if (!text.includes('trailer\n<<')) throw new Error('pdf-lib changed its trailer layout');
  return Buffer.from(text.replace('trailer\n<<', 'trailer\n<<\n/Encrypt 1 0 R'), 'latin1');
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A grey `width`×`height` 8-bit greyscale PNG. */
export function png(width = 4, height = 4): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  const rows = Buffer.concat(Array.from({ length: height }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(width, 0x80)])));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG's start of image, JFIF marker and end of image: what a sniffer reads. */
export function jpeg(): Buffer {
  return Buffer.from([
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
  ]);
}

/** A Windows executable's DOS header. */
export function exe(): Buffer {
  const bytes = Buffer.alloc(256);
  bytes.write('MZ', 0, 'ascii');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('PE\0\0', 0x80, 'ascii');
  return bytes;
}

/** Little-endian fields at their offsets, the rest zero. */
function record(length: number, fields: Array<[at: number, bytes: 2 | 4, value: number]>): Buffer {
  const bytes = Buffer.alloc(length);
  for (const [at, size, value] of fields) {
    if (size === 2) bytes.writeUInt16LE(value, at);
    else bytes.writeUInt32LE(value, at);
  }
  return bytes;
}

/** A zip of stored (uncompressed) entries, written by hand: local headers, data, central directory, end record. */
export function zip(entries: Record<string, string | Buffer>): Buffer {
  const locals: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    // Version, flags, method, time and date stay 0 but for "version needed" 2.0; sizes are equal, stored.
    const local = record(30, [[0, 4, 0x04034b50], [4, 2, 20], [14, 4, crc], [18, 4, data.length], [22, 4, data.length], [26, 2, fileName.length]]);
    locals.push(local, fileName, data);
    const central = record(46, [[0, 4, 0x02014b50], [4, 2, 20], [6, 2, 20], [16, 4, crc], [20, 4, data.length], [24, 4, data.length], [28, 2, fileName.length], [42, 4, offset]]);
    directory.push(central, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const directoryBytes = Buffer.concat(directory);
  const count = Object.keys(entries).length;
  const end = record(22, [[0, 4, 0x06054b50], [8, 2, count], [10, 2, count], [12, 4, directoryBytes.length], [16, 4, offset]]);
  return Buffer.concat([...locals, directoryBytes, end]);
}

/** An OFD package (GB/T 33190): OFD.xml at the root, listed after the document's own files. */
export function ofd(): Buffer {
  return zip({
    'Doc_0/Document.xml': '<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>',
    'Doc_0/Pages/Page_0/Content.xml': '<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"/>',
    'OFD.xml':
      '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>',
  });
}

const deflated = new Map<number, Buffer>();

/** Deflating 400 MiB takes seconds: each size once per test file. */
function deflatedSpaces(bytes: number): Buffer {
  let payload = deflated.get(bytes);
  if (!payload) {
    payload = deflateSync(Buffer.alloc(bytes, 0x20), { level: 9 });
    deflated.set(bytes, payload);
  }
  return payload;
}

/**
 * A one-page PDF whose object stream deflates `inflatedBytes` of spaces into a
 * few hundred KB: what pdf-lib would inflate whole while loading it. `typeName`
 * is how the dictionary spells /ObjStm (a name may hide behind #xx escapes),
 * `filter` how it encodes the stream.
 */
export function objectStreamBomb(inflatedBytes: number, options: { typeName?: string; filter?: string; data?: Buffer } = {}): Buffer {
  const payload = options.data ?? deflatedSpaces(inflatedBytes);
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const push = (part: string | Buffer) => {
    const buffer = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    parts.push(buffer);
    length += buffer.length;
  };
  push('%PDF-1.5\n');
  offsets[1] = length;
  push('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n');
  offsets[2] = length;
  push('2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n');
  offsets[3] = length;
  push('3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n');
  offsets[4] = length;
  push(`4 0 obj\n<< /Type ${options.typeName ?? '/ObjStm'} /N 1 /First 4 /Filter ${options.filter ?? '/FlateDecode'} /Length ${payload.length} >>\nstream\n`);
  push(payload);
  push('\nendstream\nendobj\n');
  const xref = length;
  const entries = [1, 2, 3, 4].map((id) => `${String(offsets[id]).padStart(10, '0')} 00000 n \n`).join('');
  push(`xref\n0 5\n0000000000 65535 f \n${entries}trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}
