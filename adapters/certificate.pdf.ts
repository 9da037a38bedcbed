import { fill, PDFDocument, popGraphicsState, pushGraphicsState, rectangle, rgb, setFillingGrayscaleColor, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';
import { formatVerificationCode, verifyUrl, type Certificate } from '../domain/certificates/index.js';
import { embedCjkFont } from './cjk-font.js';

export interface CertificatePdfOptions {
  /** The public origin of the verify page (`<verifyBaseUrl>/verify/<code>`). */
  verifyBaseUrl: string;
  /** A CJK font file: an OpenType/TrueType font or a collection such as Debian's NotoSansCJK-Regular.ttc. */
  fontPath: string;
  /** The face to take from a collection (default NotoSansCJKsc-Regular, the Simplified Chinese one). */
  fontFace?: string;
}

/** Said in the subject when the font is missing, so whoever opens the file knows why it carries no Chinese. */
export const NO_CJK_FONT_NOTE = 'CJK font unavailable: ASCII fields only';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;
const VALUE_X = 190;
const QR_SIZE = 132;

/**
 * The 电子证照 PDF a platform issues with its decision: one A4 page with the
 * certificate's fields, its verification code and a QR code of the verify URL.
 * Without the CJK font it still issues the document, with the fields that are
 * plain ASCII only, and says so in the subject instead of failing the decision.
 */
export async function renderCertificatePdf(cert: Certificate, options: CertificatePdfOptions): Promise<Uint8Array> {
  const url = verifyUrl(options.verifyBaseUrl, cert.verificationCode);
  const doc = await PDFDocument.create();
  const cjk = await embedCjkFont(doc, options.fontPath, options.fontFace ?? 'NotoSansCJKsc-Regular');
  const font = cjk ?? (await doc.embedFont(StandardFonts.Helvetica));
  const page = doc.addPage(A4);
  const [width, height] = A4;

  doc.setTitle(`电子证照 ${cert.number}`, { showInWindowTitleBar: true });
  doc.setSubject(cjk ? `${cert.itemName} ${cert.number}` : `${cert.number} (${NO_CJK_FONT_NOTE})`);
  doc.setAuthor(cert.department);
  doc.setCreator('tongban');
  doc.setCreationDate(new Date(cert.issuedAt));
  doc.setLanguage('zh-CN');

  page.drawRectangle({ x: MARGIN / 2, y: MARGIN / 2, width: width - MARGIN, height: height - MARGIN, borderColor: rgb(0.6, 0.1, 0.1), borderWidth: 2 });
  const centred = (text: string, y: number, size: number) => page.drawText(text, { x: (width - font.widthOfTextAtSize(text, size)) / 2, y, size, font });
  centred(cjk ? '电子证照' : 'ELECTRONIC CERTIFICATE', height - 120, 30);
  if (cjk) centred('川渝通办', height - 148, 12);

  const fields: [string, string, string][] = [
    ['证照编号', 'Certificate No.', cert.number],
    ['持证主体', 'Holder', cert.holderName],
    ...(cert.holderIdNumber ? [['证件号码', 'ID number', cert.holderIdNumber] as [string, string, string]] : []),
    ['事项名称', 'Item', cjk ? cert.itemName : cert.itemCode],
    ['发证机关', 'Issued by', cert.department],
    ['有效期自', 'Valid from', cert.validFrom],
    ['有效期至', 'Valid until', cert.validUntil ?? (cjk ? '长期有效' : 'long-term')],
    ['核验码', 'Verification code', formatVerificationCode(cert.verificationCode)],
  ];
  let y = height - 210;
  for (const [label, asciiLabel, value] of fields) {
    if (!cjk && !isAscii(value)) continue;
    page.drawText(cjk ? label : asciiLabel, { x: MARGIN + 24, y, size: 12, font, color: rgb(0.3, 0.3, 0.3) });
    for (const line of wrap(value, font, 13, width - VALUE_X - MARGIN)) {
      page.drawText(line, { x: VALUE_X, y, size: 13, font });
      y -= 20;
    }
    y -= 12;
  }

  const qrX = (width - QR_SIZE) / 2;
  drawQr(page, url, qrX, MARGIN + 70, QR_SIZE);
  centred(cjk ? '扫码核验' : 'Scan to verify', MARGIN + 52, 11);
  page.drawText(url, { x: (width - font.widthOfTextAtSize(url, 8)) / 2, y: MARGIN + 36, size: 8, font });
  return doc.save();
}

/**
 * The dark modules of `QRCode.create(url)`, one `re` per run of a row, all in one
 * fill: a few hundred operators instead of a vector path per module.
 */
function drawQr(page: PDFPage, url: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const unit = size / modules.size;
  const ops = [pushGraphicsState(), setFillingGrayscaleColor(0)];
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; ) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      ops.push(rectangle(x + start * unit, y + size - (row + 1) * unit, (col - start) * unit, unit));
    }
  }
  page.pushOperators(...ops, fill(), popGraphicsState());
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/** Breaks anywhere: Chinese has no spaces to break at, and numbers are short. */
function wrap(text: string, font: PDFFont, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const char of text) {
    if (line && font.widthOfTextAtSize(line + char, size) > maxWidth) {
      lines.push(line);
      line = '';
    }
    line += char;
  }
  return [...lines, line];
}
