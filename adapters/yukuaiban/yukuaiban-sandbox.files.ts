/**
 * The 渝快办 sandbox's file endpoints (CONTRACT.md §10): uploads authenticated before a byte
 * is read (signed over the digest their path declares), streamed to the file store, refused
 * when the bytes are not the declared ones, kept once per (ywbh, sha256); downloads streamed
 * with their digest. Faults apply as to every API call (drawn once the body is in: a hang
 * keeps the file, as a platform that took it and lost the answer) plus `dropMidFileRate`.
 * Also the e-certificates the sandbox issues at 07 出件, in the wire's shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { FILE_CONTENT_TYPES } from '../file-transfer.kit.js';
import { drawFault } from '../sandbox-faults.kit.js';
import type { CertificatePdfOptions } from '../certificate.pdf.js';
import { issueSandboxCertificate } from '../sandbox-certificates.kit.js';
import { drainBody as drain, type SandboxFileStore } from '../sandbox-files.kit.js';
import { chanceOf, envelopeSender, type SandboxRuntime } from '../sandbox.kit.js';
import { millisToYkbTime } from './yukuaiban.time.js';
import { YKB_CODE, YKB_POWER_TYPES, type YkbCase, type YkbItem } from './yukuaiban.wire.js';
import { isoDateToYkb, YKB_FILE_API, YKB_FILE_HEADER, YKB_MAX_FILE_BYTES, type YkbCertificate } from './yukuaiban-files.wire.js';
import { yukuaibanFaultHandling } from './yukuaiban-sandbox.faults.js';
import { fail, ok, type Reply } from './yukuaiban-sandbox.state.js';

const { replies } = yukuaibanFaultHandling;

const UPLOAD = /^\/api\/v1\/files\/([^/]+)\/([0-9a-f]{64})$/;
const DOWNLOAD = /^\/api\/v1\/files\/([^/]+)$/;
const EMPTY = Buffer.alloc(0);

/** The digest an upload's path declares, which its signature covers in the body's place; undefined for any other request. */
export function declaredUploadDigest(req: IncomingMessage): string | undefined {
  if (req.method !== 'PUT') return undefined;
  return UPLOAD.exec(new URL(req.url ?? '/', 'http://sandbox').pathname)?.[2];
}

export interface YukuaibanFileRoutes {
  rt: SandboxRuntime;
  store: SandboxFileStore;
  authenticate(req: IncomingMessage, raw: Buffer): Reply | null;
}

/** Serves a file request and resolves true; false for any other path. */
export async function serveYukuaibanFiles(req: IncomingMessage, res: ServerResponse, ctx: YukuaibanFileRoutes): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  if (!url.pathname.startsWith(`${YKB_FILE_API.files}/`)) return false;
  const send = envelopeSender(ctx.rt.isClosed);
  const upload = req.method === 'PUT' ? UPLOAD.exec(url.pathname) : null;
  const download = req.method === 'GET' ? DOWNLOAD.exec(url.pathname) : null;
  ctx.rt.count(upload ? 'PUT /api/v1/files/{ywbh}/{sha256}' : download ? 'GET /api/v1/files/{wjbh}' : `${req.method} ${url.pathname}`);
  const refuse = async (reply: Reply) => {
    await drain(req);
    send(res, reply);
  };
  if (!upload && !download) return refuse(replies.notFound()).then(() => true);
  const refused = ctx.authenticate(req, EMPTY);
  if (refused) return refuse(refused).then(() => true);
  if (download) {
    await drain(req);
    await serveDownload(res, decodeURIComponent(download[1]!), ctx, send);
    return true;
  }
  const businessNo = decodeURIComponent(upload![1]!);
  const sha256 = upload![2]!;
  const material = url.searchParams.get('clmc')?.trim() ?? '';
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const length = req.headers['content-length'];
  if (material === '' || businessNo.trim() === '') return refuse(fail(400, YKB_CODE.badParams, '参数错误：缺少业务编号或材料名称 clmc')).then(() => true);
  if (!FILE_CONTENT_TYPES.has(contentType)) return refuse(fail(415, YKB_CODE.fileTypeNotAllowed, `不接收的文件类型：${contentType}`)).then(() => true);
  if (length === undefined || !/^\d+$/.test(length) || Number(length) === 0) return refuse(fail(411, YKB_CODE.lengthRequired, '缺少 Content-Length 或文件为空')).then(() => true);
  const size = Number(length);
  if (size > YKB_MAX_FILE_BYTES) return refuse(fail(413, YKB_CODE.fileTooLarge, `文件超过 ${YKB_MAX_FILE_BYTES} 字节`)).then(() => true);

  const drop = chanceOf(ctx.rt.random)(ctx.rt.faults().dropMidFileRate) ? Math.floor(size / 2) : undefined;
  const reception = await ctx.store.receive(req, { businessNo, material, sha256, size, contentType }, { dropAfterBytes: drop });
  if (reception.kind === 'incomplete') {
    res.destroy();
    return true;
  }
  if (reception.kind === 'digestMismatch') {
    send(res, fail(400, YKB_CODE.digestMismatch, `文件摘要不符：收到的内容 SHA-256 为 ${reception.actual}`));
    return true;
  }
  const fault = await drawFault(ctx.rt.faults(), ctx.rt);
  if (fault.kind === 'hang') {
    reception.commit();
    return true;
  }
  if (fault.kind !== 'answer') {
    await reception.discard();
    send(res, fault.kind === 'rateLimited' ? replies.rateLimited(fault.retryAfter) : replies.failure(fault.status));
    return true;
  }
  const { file, created } = reception.commit();
  send(res, ok({ wjbh: file.fileId, sha256: file.sha256, wjdx: file.size, jssj: millisToYkbTime(file.receivedAt) }, created ? 201 : 200), fault.truncate);
  return true;
}

async function serveDownload(res: ServerResponse, fileId: string, ctx: YukuaibanFileRoutes, send: ReturnType<typeof envelopeSender>): Promise<void> {
  const fault = await drawFault(ctx.rt.faults(), ctx.rt);
  if (fault.kind === 'hang') return;
  if (fault.kind === 'rateLimited') return send(res, replies.rateLimited(fault.retryAfter));
  if (fault.kind === 'error') return send(res, replies.failure(fault.status));
  const opened = await ctx.store.open(fileId);
  if (!opened) return send(res, fail(404, YKB_CODE.fileNotFound, `文件不存在：${fileId}`));
  const { file, body } = opened;
  res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.size), [YKB_FILE_HEADER.sha256]: file.sha256 });
  await pipeline(body, res).catch(() => undefined);
}

/** The 电子证照 of a case issued now: number 渝证 + year + run + serial. */
export function yukuaibanCertificate(
  store: SandboxFileStore,
  p: { record: YkbCase; item: YkbItem; holderName: string; serial: number; instance: string; now: number; rendering?: CertificatePdfOptions },
): YkbCertificate {
  const year = millisToYkbTime(p.now).slice(0, 4);
  const issued = issueSandboxCertificate(
    store,
    {
      businessNo: p.record.ywbh,
      number: `YKBZZ${year}${p.instance}${String(p.serial).padStart(6, '0')}`,
      holderName: p.holderName,
      itemCode: p.item.sxbm,
      itemName: p.item.sxmc,
      department: p.item.zrdw,
      powerType: YKB_POWER_TYPES[p.item.qllx],
      issuedAt: p.now,
    },
    p.rendering,
  );
  return {
    wjbh: issued.fileId,
    zzbh: issued.number,
    czr: issued.holderName,
    sxmc: issued.itemName,
    fzjg: issued.department,
    yxqq: isoDateToYkb(issued.validFrom),
    yxqz: issued.validUntil === null ? null : isoDateToYkb(issued.validUntil),
    yzm: issued.verificationCode,
    fzsj: millisToYkbTime(p.now),
    zxsj: null,
    zxyy: null,
  };
}
