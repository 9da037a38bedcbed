export { certificateStatus, publicHolderName, type Certificate, type CertificateStatus } from './certificate.js';
export { MalformedVerificationCodeError } from './certificate.errors.js';
export { CODE_ALPHABET, CODE_LENGTH, formatVerificationCode, newVerificationCode, parseVerificationCode, verifyUrl, type VerificationCode } from './verification-code.js';
export { renderVerifyPage, VERIFY_PAGE_CSP, type VerificationAnswer, type VerificationStatus } from './verify-page.renderer.js';
