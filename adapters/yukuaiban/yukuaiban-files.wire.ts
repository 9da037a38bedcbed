/**
 * 渝快办's file and e-certificate wire (CONTRACT.md §10–§11): the file endpoints, the upload
 * receipt, the 电子证照 carried by a case from 07 出件, and the revocation carried by a push.
 */
import { z } from 'zod';
import { ykbTimeToMillis } from './yukuaiban.time.js';

export const YKB_FILE_API = {
  /** `PUT /api/v1/files/{ywbh}/{sha256}?clmc=…` uploads, `GET /api/v1/files/{wjbh}` downloads. */
  files: '/api/v1/files',
} as const;

export const YKB_FILE_HEADER = { sha256: 'x-ykb-file-sha256' } as const;

/** Per file; larger uploads are refused 413 before their bytes are read. */
export const YKB_MAX_FILE_BYTES = 50 * 1024 * 1024;

const ykbTime = z.string().refine((value) => ykbTimeToMillis(value) !== null, 'expected yyyyMMddHHmmss (Beijing time)');
const ykbDate = z.string().regex(/^\d{8}$/, 'expected yyyyMMdd');
const text = (max: number) => z.string().trim().min(1).max(max);
export const ykbFileId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** 收件回执 of one upload: 文件编号, digest, 文件大小 in bytes, 接收时间. */
export const ykbFileReceiptSchema = z.object({
  wjbh: ykbFileId,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  wjdx: z.number().int().min(1),
  jssj: ykbTime,
});
export type YkbFileReceipt = z.infer<typeof ykbFileReceiptSchema>;

/** 电子证照: 证照编号, 持证人, 事项名称, 发证机关, 有效期起止 (止 null = 长期有效), 验证码, 发证时间, 注销时间与原因. */
export const ykbCertificateSchema = z.object({
  wjbh: ykbFileId,
  zzbh: text(64),
  czr: text(200),
  sxmc: text(300),
  fzjg: text(100),
  yxqq: ykbDate,
  yxqz: ykbDate.nullable(),
  yzm: z.string().regex(/^[A-Za-z0-9_-]{12,64}$/),
  fzsj: ykbTime,
  zxsj: ykbTime.nullable(),
  zxyy: text(500).nullable(),
});
export type YkbCertificate = z.infer<typeof ykbCertificateSchema>;

/** 证照注销 in a push: which certificate, when, why. */
export const ykbRevocationSchema = z.object({ yzm: ykbCertificateSchema.shape.yzm, zxsj: ykbTime, zxyy: text(500) });
export type YkbRevocation = z.infer<typeof ykbRevocationSchema>;

export const ykbDateToIso = (value: string) => `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
export const isoDateToYkb = (value: string) => value.replaceAll('-', '');
