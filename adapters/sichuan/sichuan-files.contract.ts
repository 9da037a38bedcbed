/**
 * The file and e-certificate part of the 四川一体化 contract (CONTRACT.md §9–§10): the two
 * file endpoints, the headers that carry a signed head beside a raw body, the descriptor a
 * file's signature covers in the body's place, the upload receipt, the 电子证照 of a case and
 * the revocation in a push — and their mapping to the port's model.
 */
import { z } from 'zod';
import type { PlatformCertificate } from '../platform.port.js';
import { parseWireTime, wireTimeToIso } from './sichuan.signature.js';

export const SICHUAN_FILE_ENDPOINTS = {
  upload: '/gateway/file/upload',
  download: '/gateway/file/download',
} as const;

/** The signed head of an upload request, and of a download's answer, as headers. */
export const SC_FILE_HEADER = {
  appId: 'x-sc-app-id',
  requestTime: 'x-sc-request-time',
  responseTime: 'x-sc-response-time',
  nonce: 'x-sc-nonce',
  signType: 'x-sc-sign-type',
  sign: 'x-sc-sign',
  rtnCode: 'x-sc-rtn-code',
  /** Base64 of the descriptor's UTF-8 JSON text: what the signature covers in the body's place. */
  fileInfo: 'x-sc-file-info',
} as const;

/** Per file. Larger uploads are refused with HTTP 413 before their bytes are read. */
export const SC_MAX_FILE_BYTES = 50 * 1024 * 1024;

const wireTime = z.string().refine((text) => parseWireTime(text) !== null, 'expected yyyy-MM-dd HH:mm:ss');
const text = z.string().min(1);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const scFileId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const uploadDescriptorSchema = z.object({
  businessNo: text,
  materialName: text,
  sha256,
  size: z.number().int().min(1),
  contentType: text,
});
export type UploadDescriptor = z.infer<typeof uploadDescriptorSchema>;

export const downloadDescriptorSchema = z.object({ fileId: scFileId, sha256, size: z.number().int().min(0), contentType: text });
export type DownloadDescriptor = z.infer<typeof downloadDescriptorSchema>;

export const fileUploadResponseSchema = z.object({ fileId: scFileId, sha256, size: z.number().int().min(1), receiveTime: wireTime, duplicated: z.boolean() });

export const fileDownloadRequestSchema = z.object({ fileId: text });

export const wireCertificateSchema = z.object({
  fileId: scFileId,
  certNo: text,
  holderName: text,
  itemName: text,
  deptName: text,
  validFrom: date,
  /** null: 长期有效. */
  validTo: date.nullable(),
  verifyCode: z.string().regex(/^[A-Za-z0-9_-]{12,64}$/),
  issueTime: wireTime,
  revokeTime: wireTime.nullable(),
  revokeReason: text.nullable(),
});
export type WireCertificate = z.infer<typeof wireCertificateSchema>;

export const wireRevocationSchema = z.object({ verifyCode: wireCertificateSchema.shape.verifyCode, revokeTime: wireTime, revokeReason: text });
export type WireRevocation = z.infer<typeof wireRevocationSchema>;

export function toCertificate(wire: WireCertificate): PlatformCertificate {
  return {
    fileId: wire.fileId,
    number: wire.certNo,
    holderName: wire.holderName,
    itemName: wire.itemName,
    department: wire.deptName,
    validFrom: wire.validFrom,
    validUntil: wire.validTo,
    verificationCode: wire.verifyCode,
    issuedAt: wireTimeToIso(wire.issueTime),
    revokedAt: wire.revokeTime === null ? null : wireTimeToIso(wire.revokeTime),
    revocationReason: wire.revokeReason,
  };
}

export const toBase64 = (textValue: string) => Buffer.from(textValue, 'utf8').toString('base64');
export const fromBase64 = (value: string | undefined) => (value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8'));
