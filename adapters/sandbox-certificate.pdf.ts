/**
 * The PDF a platform sandbox issues as an e-certificate (电子证照): one A4 page with the
 * certificate's number, holder, item, department, validity and verification code. The
 * standard PDF fonts carry no CJK glyphs, so text outside ASCII is printed as \u escapes —
 * readable enough for a stand-in, and the bytes are a real PDF a viewer opens.
 *
 * Development and integration tests only; nothing in it is for production.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import type { PlatformCertificate } from './platform.port.js';

/** What the page prints: the certificate without its file and revocation, and the issuing platform. */
export type CertificatePdfFields = Omit<PlatformCertificate, 'fileId' | 'revokedAt' | 'revocationReason'> & { platform: string };

const ascii = (text: string) => text.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

export async function renderSandboxCertificatePdf(fields: CertificatePdfFields): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle(`E-certificate ${fields.number}`);
  pdf.setCreator(`${fields.platform} sandbox`);
  // Fixed dates make the same certificate render to the same bytes.
  pdf.setCreationDate(new Date(fields.issuedAt));
  pdf.setModificationDate(new Date(fields.issuedAt));
  const page = pdf.addPage([595.28, 841.89]);
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const lines = [
    `E-CERTIFICATE (${fields.platform} sandbox)`,
    '',
    `Number: ${fields.number}`,
    `Holder: ${fields.holderName}`,
    `Item: ${fields.itemName}`,
    `Issued by: ${fields.department}`,
    `Valid from: ${fields.validFrom}`,
    `Valid until: ${fields.validUntil ?? 'long-term'}`,
    `Verification code: ${fields.verificationCode}`,
    `Issued at: ${fields.issuedAt}`,
  ];
  lines.forEach((line, index) => page.drawText(ascii(line), { x: 56, y: 780 - index * 22, size: index === 0 ? 16 : 11, font, maxWidth: 480 }));
  return pdf.save();
}
