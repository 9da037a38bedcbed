import { randomBytes, randomUUID } from 'node:crypto';
import { partitionOfCase } from '../../ledger/cases/case-partitions.js';
import { Readable } from 'node:stream';
import { concatTransformationMatrix, drawObject, PDFDocument, popGraphicsState, pushGraphicsState, StandardFonts } from 'pdf-lib';
import { acceptFile } from '../../lib/files/file-check.js';
import { createFileStore } from '../../lib/files/store-factory.js';
import { UPLOAD_RECORD_PREFIX, UploadRecordStore } from '../../lib/files/upload-record.store.js';
import { materialsWithoutScan } from '../../ledger/workflow/scans.stage.js';
import type { CaseRecord } from '../../ledger/cases/case.model.js';
import type { TestStack } from './stack.js';

/** A real PDF of `pages` pages naming what it is a scan of. */
export async function samplePdf(label: string, pages = 1): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let page = 1; page <= pages; page++) doc.addPage([595, 842]).drawText(`scan ${Buffer.from(label).toString("hex").slice(0, 60)} p${page}`, { x: 50, y: 780, size: 14, font });
  return Buffer.from(await doc.save());
}

/**
 * A PDF as a flatbed scanner makes it: each page one greyscale image, here of noise (which does
 * not compress, as a photographed page barely does), 1024 pixels wide at a byte a pixel, so
 * about pages × pageBytes bytes, and each page naming `label`, so that every label gives other
 * bytes. `noise`, at least pages × pageBytes of it, lets many scans share one draw of random bytes.
 */
export async function scannedPdf(label: string, { pages = 1, pageBytes = 1024 * 1024, noise }: { pages?: number; pageBytes?: number; noise?: Uint8Array } = {}): Promise<Buffer> {
  const width = 1024;
  const height = Math.floor(pageBytes / width);
  const imageBytes = width * height;
  const source = noise ?? randomBytes(pages * imageBytes);
  if (source.length < pages * imageBytes) throw new RangeError(`${pages} pages of ${imageBytes} bytes need as much noise, not ${source.length}`);
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let number = 1; number <= pages; number++) {
    const page = doc.addPage([595, 842]);
    const pixels = source.subarray((number - 1) * imageBytes, number * imageBytes);
    const image = doc.context.register(doc.context.stream(pixels, { Type: 'XObject', Subtype: 'Image', Width: width, Height: height, ColorSpace: 'DeviceGray', BitsPerComponent: 8 }));
    const name = page.node.newXObject('Scan', image);
    page.pushOperators(pushGraphicsState(), concatTransformationMatrix(595, 0, 0, 842, 0, 0), drawObject(name), popGraphicsState());
    page.drawText(`scan ${Buffer.from(label).toString('hex').slice(0, 60)} p${number}`, { x: 50, y: 780, size: 14, font });
  }
  return Buffer.from(await doc.save());
}

export interface TusAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** The tus 1.0 requests a scanner's client sends, over real HTTP. */
export function tusClient(baseUrl: string, token: string) {
  const headers = (extra: Record<string, string> = {}) => ({ 'tus-resumable': '1.0.0', authorization: `Bearer ${token}`, ...extra });
  const answer = async (response: Response): Promise<TusAnswer> => ({ status: response.status, headers: response.headers, body: await response.text() });
  return {
    async create(length: number, filename = 'scan.pdf'): Promise<TusAnswer & { uploadUrl: string | null }> {
      const response = await fetch(`${baseUrl}/files/uploads`, {
        method: 'POST',
        headers: headers({ 'upload-length': String(length), 'upload-metadata': `filename ${Buffer.from(filename).toString('base64')}` }),
      });
      const location = response.headers.get('location');
      return { ...(await answer(response)), uploadUrl: location && new URL(location, baseUrl).toString() };
    },
    async patch(uploadUrl: string, offset: number, chunk: Buffer): Promise<TusAnswer> {
      return answer(
        await fetch(uploadUrl, {
          method: 'PATCH',
          headers: headers({ 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }),
          body: new Uint8Array(chunk),
        }),
      );
    },
    async offset(uploadUrl: string): Promise<number> {
      const response = await fetch(uploadUrl, { method: 'HEAD', headers: headers() });
      return Number(response.headers.get('upload-offset'));
    },
    /** The whole file in chunks of `chunkBytes`; the upload id, or the refusal of the last request. */
    async upload(bytes: Buffer, chunkBytes = 64 * 1024, filename?: string): Promise<{ uploadId: string; last: TusAnswer }> {
      const created = await this.create(bytes.length, filename);
      if (!created.uploadUrl) throw new Error(`upload not created: ${created.status} ${created.body}`);
      let last: TusAnswer = created;
      for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
        last = await this.patch(created.uploadUrl, offset, bytes.subarray(offset, offset + chunkBytes));
        if (last.status !== 204) break;
      }
      return { uploadId: created.uploadUrl.split('/').pop()!, last };
    },
  };
}

/**
 * Scans every qualified material that has none yet, as a receiving window does
 * before an online dispatch: each file checked into the stack's file store and
 * recorded as a finished upload (what the gateway's tus endpoint does when the
 * last byte arrives, test/integration/material-scans.test.ts drives that over
 * HTTP), then bound to the case. `scan` makes each file (default: a one-page samplePdf).
 */
export async function scanMaterials(stack: ScanStack, businessNo: string, scan: (label: string) => Promise<Buffer> = (label) => samplePdf(label)): Promise<void> {
  const record = await stack.workflow.get(businessNo);
  for (const material of materialsWithoutScan(record)) await attachScan(stack, businessNo, material, await scan(`${businessNo} ${material}`));
}

type ScanStack = Pick<TestStack, 'workflow' | 'redis' | 'config'>;

/** One scan of `material`: checked into the file store, recorded as a finished upload by the receiving window, bound to the case. */
export async function attachScan(stack: ScanStack, businessNo: string, material: string, bytes: Buffer): Promise<CaseRecord> {
  const record = await stack.workflow.get(businessNo);
  const held = (record.scans ?? []).reduce((sum, scan) => sum + scan.size, 0);
  const accepted = await acceptFile(createFileStore(stack.config.files.store), Readable.from([bytes]), stack.config.files.policy, { caseHeldBytes: held });
  const uploadId = randomUUID().replaceAll('-', '');
  await new UploadRecordStore(stack.redis, UPLOAD_RECORD_PREFIX).save(
    {
      uploadId,
      sha256: accepted.sha256,
      size: accepted.size,
      type: accepted.type,
      mime: accepted.mime,
      pages: accepted.pages ?? null,
      uploadedBy: `WINDOW_STAFF:staff-${record.receivingWindowId}`,
      windowId: record.receivingWindowId,
      filename: null,
      finishedAt: new Date().toISOString(),
    },
    partitionOfCase(businessNo),
    stack.config.files.uploadExpiryMs,
  );
  return stack.workflow.attachMaterialFile(businessNo, material, uploadId, `WINDOW_STAFF:staff-${record.receivingWindowId}`);
}
