import { existsSync, readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';
import { beforeAll, describe, expect, it } from 'vitest';
import { NO_CJK_FONT_NOTE, renderCertificatePdf } from '../../adapters/certificate.pdf.js';
import { formatVerificationCode, verifyUrl } from '../../domain/certificates/index.js';
import { certificateFixture } from '../support/certificate-fixture.js';

const FONT = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';
const BASE = 'https://tongban.example.gov.cn';

const certificate = certificateFixture({
  number: '川水质检乙〔2026〕第0123号',
  holderName: '重庆渝水工程检测有限公司',
  holderIdNumber: '91350100M000100Y43',
  itemName: '水利工程质量检测单位乙级资质认定（川渝通办）',
});

function contentOf(doc: PDFDocument, page: PDFPage): string {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => doc.context.lookup(ref)) : [contents];
  return streams.map((stream) => Buffer.from(decodePDFRawStream(stream as PDFRawStream).decode()).toString('latin1')).join('\n');
}

/** The QR matrix back from the `re` operators the page fills: every rectangle is a run of modules of one row. */
function qrMatrixOf(content: string, size: number): boolean[][] {
  const rects = [...content.matchAll(/(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re/g)].map((m) => m.slice(1, 5).map(Number) as [number, number, number, number]);
  const unit = rects[0]![3];
  const left = Math.min(...rects.map(([x]) => x));
  const top = Math.max(...rects.map(([, y, , h]) => y + h));
  const matrix = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [x, y, w, h] of rects) {
    expect(h).toBeCloseTo(unit, 3);
    const row = Math.round((top - y - h) / unit);
    const start = Math.round((x - left) / unit);
    for (let col = start; col < start + Math.round(w / unit); col++) matrix[row]![col] = true;
  }
  return matrix;
}

function expectedMatrix(url: string): boolean[][] {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  return Array.from({ length: modules.size }, (_, row) => Array.from({ length: modules.size }, (_, col) => Boolean(modules.get(row, col))));
}

/** A raw CFF wrapped as a one-table OpenType font, so fontkit parses it and draws its glyphs. */
function openCff(cff: Uint8Array) {
  const head = Buffer.alloc(28);
  head.write('OTTO', 0, 'latin1');
  head.writeUInt16BE(1, 4);
  head.write('CFF ', 12, 'latin1');
  head.writeUInt32BE(28, 20);
  head.writeUInt32BE(cff.length, 24);
  return fontkit.create(Buffer.concat([head, cff]));
}

/** Subset glyph id → code point, from the font's ToUnicode CMap. */
function toUnicodeOf(doc: PDFDocument): Map<number, number> {
  const font = doc.context.enumerateIndirectObjects().find(([, o]) => o instanceof PDFDict && o.get(PDFName.of('ToUnicode')))![1] as PDFDict;
  const cmap = Buffer.from(decodePDFRawStream(doc.context.lookup(font.get(PDFName.of('ToUnicode'))) as PDFRawStream).decode()).toString('latin1');
  return new Map([...cmap.matchAll(/^<([0-9A-F]{4})> <([0-9A-F]{4})>$/gim)].map((m) => [parseInt(m[1]!, 16), parseInt(m[2]!, 16)]));
}

function fontFiles(doc: PDFDocument): { subtype: string; bytes: Uint8Array }[] {
  return doc.context
    .enumerateIndirectObjects()
    .filter(([, object]) => object instanceof PDFDict && object.get(PDFName.of('Type')) === PDFName.of('FontDescriptor'))
    .flatMap(([, descriptor]) => {
      const file = (descriptor as PDFDict).get(PDFName.of('FontFile3')) ?? (descriptor as PDFDict).get(PDFName.of('FontFile2'));
      if (!file) return [];
      const stream = doc.context.lookup(file) as PDFRawStream;
      return [{ subtype: String(stream.dict.get(PDFName.of('Subtype'))), bytes: decodePDFRawStream(stream).decode() }];
    });
}

describe.skipIf(!existsSync(FONT))('the certificate PDF with the CJK font', () => {
  let bytes: Uint8Array;
  let doc: PDFDocument;

  beforeAll(async () => {
    bytes = await renderCertificatePdf(certificate, { verifyBaseUrl: BASE, fontPath: FONT });
    doc = await PDFDocument.load(bytes, { updateMetadata: false });
  });

  it('is one small page whose metadata names the certificate', () => {
    expect(bytes.length).toBeLessThan(1024 * 1024);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getTitle()).toBe(`电子证照 ${certificate.number}`);
    expect(doc.getSubject()).toContain(certificate.number);
    expect(doc.getSubject()).not.toContain(NO_CJK_FONT_NOTE);
    expect(doc.getAuthor()).toBe('四川省水利厅');
  });

  it('embeds a subset of the CJK face with a CFF header a renderer accepts', () => {
    const [font, ...others] = fontFiles(doc);
    expect(others).toEqual([]);
    expect(font!.subtype).toBe('/CIDFontType0C');
    // A subset, not the 16 MB face.
    expect(font!.bytes.length).toBeLessThan(512 * 1024);
    const [major, , hdrSize, offSize] = font!.bytes;
    // FreeType refuses a CFF whose header offSize is outside 1–4: @pdf-lib/fontkit wrote 27 here.
    expect({ major, hdrSize }).toEqual({ major: 1, hdrSize: 4 });
    expect(offSize).toBeGreaterThanOrEqual(1);
    expect(offSize).toBeLessThanOrEqual(4);
    const baseFonts = doc.context.enumerateIndirectObjects().flatMap(([, o]) => (o instanceof PDFDict && o.get(PDFName.of('BaseFont')) ? [String(o.get(PDFName.of('BaseFont')))] : []));
    expect(baseFonts.some((name) => name.includes('NotoSansCJKsc-Regular'))).toBe(true);
  });

  it('draws every subset glyph exactly as the face does', () => {
    const face = fontkit.create(readFileSync(FONT), 'NotoSansCJKsc-Regular');
    // A code point's glyph, or the alternate layout picks in context (Noto's digits within a run of letters).
    const shapes = new Map<number, Set<string>>();
    const drawn = [...Object.values(certificate).filter((v): v is string => typeof v === 'string'), formatVerificationCode(certificate.verificationCode), verifyUrl(BASE, certificate.verificationCode)];
    for (const glyph of drawn.flatMap((text) => face.layout(text).glyphs)) {
      for (const codePoint of glyph.codePoints) shapes.set(codePoint, (shapes.get(codePoint) ?? new Set()).add(glyph.path.toSVG()));
    }
    const subset = openCff(fontFiles(doc)[0]!.bytes);
    const glyphs = toUnicodeOf(doc);
    // Every character drawn: the fields, the labels and the URL.
    expect(glyphs.size).toBeGreaterThan(80);
    const differing = [...glyphs].filter(([gid, codePoint]) => {
      const path = subset.getGlyph(gid).path.toSVG();
      return path !== face.glyphForCodePoint(codePoint).path.toSVG() && !shapes.get(codePoint)?.has(path);
    });
    expect(differing.map(([, codePoint]) => String.fromCodePoint(codePoint))).toEqual([]);
  });

  it('draws the QR code of the verify URL module for module', () => {
    const url = verifyUrl(BASE, certificate.verificationCode);
    const expected = expectedMatrix(url);
    expect(qrMatrixOf(contentOf(doc, doc.getPage(0)), expected.length)).toEqual(expected);
  });
});

describe('the certificate PDF without the font', () => {
  for (const [why, fontPath] of [
    ['a missing file', '/nonexistent/NotoSansCJK-Regular.ttc'],
    ['a file that is no font', 'package.json'],
  ] as const) {
    it(`still issues, ASCII only, from ${why}, and says so`, async () => {
      const bytes = await renderCertificatePdf(certificate, { verifyBaseUrl: BASE, fontPath });
      const doc = await PDFDocument.load(bytes, { updateMetadata: false });
      expect(doc.getPageCount()).toBe(1);
      expect(doc.getSubject()).toContain(certificate.number);
      expect(doc.getSubject()).toContain(NO_CJK_FONT_NOTE);
      expect(fontFiles(doc)).toEqual([]);
      const content = contentOf(doc, doc.getPage(0));
      // The code as printed, grouped; Helvetica's text is written as hex strings.
      const hex = Buffer.from(certificate.verificationCode.slice(0, 4)).toString('hex').toUpperCase();
      expect(content).toContain(hex);
      const url = verifyUrl(BASE, certificate.verificationCode);
      const expected = expectedMatrix(url);
      expect(qrMatrixOf(content, expected.length)).toEqual(expected);
    });
  }

  it('picks an existing face only', async () => {
    const bytes = await renderCertificatePdf(certificate, { verifyBaseUrl: BASE, fontPath: FONT, fontFace: 'NoSuchFace' });
    expect((await PDFDocument.load(bytes, { updateMetadata: false })).getSubject()).toContain(NO_CJK_FONT_NOTE);
  });
});
