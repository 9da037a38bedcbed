import QRCode from 'qrcode';
import { verifyUrl, type VerificationCode } from '../domain/certificates/index.js';

/**
 * The verify URL's QR code as an SVG document, for the pickup notice to print
 * beside the one embedded in the certificate: the same URL, the same error
 * correction (M), so a scan of either lands on the same page.
 */
export function verifyQrSvg(baseUrl: string, code: VerificationCode): Promise<string> {
  return QRCode.toString(verifyUrl(baseUrl, code), { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
