/**
 * The wording of every notification tongban sends, and the checks a message must pass before it
 * may leave. One module, used by the client before sending and by the sandbox to check what it
 * received, so an SMS reads the same whichever job sends it and the gateway's registered
 * templates (CONTRACT.md §4) cannot drift from ours.
 */
import type { NotificationChannel, NotificationTemplate } from './notify.port.js';
import { maskPhone } from '../../domain/masking.js';

interface TemplateText {
  /** E-mail subject, without the system prefix. */
  subject: string;
  /** `{name}` placeholders are the template's parameters, all required. */
  text: string;
}

const NOTIFICATION_TEMPLATES: Readonly<Record<NotificationTemplate, TemplateText>> = {
  DEADLINE_AT_RISK: {
    subject: '办件即将到期提醒',
    text: '办件{businessNo}「{stage}」将于{dueAt}到期，请及时办理。',
  },
  DEADLINE_OVERDUE: {
    subject: '办件超期提醒',
    text: '办件{businessNo}「{stage}」已于{dueAt}超期，请尽快办理。',
  },
  CORRECTION_REMINDER: {
    subject: '材料补正提醒',
    // "逾期视为放弃" is the rule of the 一次性告知书 (DESIGN §3.1); the reminder must not soften it.
    text: '您申请的{itemName}需补正材料，请于{deadline}前到{windowName}补正，逾期视为放弃申请。业务编号：{businessNo}',
  },
  PICKUP_READY: {
    subject: '办理结果领取通知',
    text: '您申请的{itemName}办理结果已送达{windowName}，请携带身份证件领取。业务编号：{businessNo}',
  },
  PICKUP_READY_CERTIFICATE: {
    subject: '办理结果领取通知',
    // The link is what the certificate's QR code opens: the holder can check it before coming.
    text: '您申请的{itemName}办理结果已送达{windowName}，请携带身份证件领取。电子证照{certificateNumber}可在{verifyUrl}核验。业务编号：{businessNo}',
  },
  RESULT_MAILED: {
    subject: '办理结果寄出通知',
    text: '您申请的{itemName}办理结果已通过政务专递寄出，运单号：{waybillNo}，请注意查收。业务编号：{businessNo}',
  },
  TRANSFER_FAILED: {
    subject: '材料流转失败告警',
    text: '办件{businessNo}材料流转失败（{reason}），请运维人员及时处理。',
  },
};

/** Carriers refuse an SMS without the sender's registered signature; it counts towards the length. */
const SMS_SIGNATURE = '【川渝通办】';
/** Counted in characters (code points) including the signature, as carriers bill long SMS. */
export const MAX_SMS_LENGTH = 500;
const EMAIL_SUBJECT_PREFIX = '川渝通办：';
const EMAIL_FOOTER = '\n\n本邮件由川渝通办系统自动发送，请勿直接回复。';
/** Longer than any name, date or reason a template needs; anything longer is a log dump, not a parameter. */
const MAX_PARAM_LENGTH = 200;

const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
/** Deliberately plain ASCII: no spaces or line breaks can reach a mail header through it. */
const EMAIL_ADDRESS = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/;
const MAX_EMAIL_LENGTH = 254;

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;
const CONTROL = /\p{Cc}/u;

export type NotificationProblem = 'UNKNOWN_TEMPLATE' | 'INVALID_PARAMS' | 'INVALID_RECIPIENT' | 'TOO_LONG';

export interface RenderedNotification {
  /** EMAIL only. */
  subject?: string;
  content: string;
}

export type Rendering = ({ ok: true } & RenderedNotification) | { ok: false; problem: NotificationProblem; detail: string };

/** What rendering needs; `template` is a plain string because the sandbox renders what arrived on the wire. */
export interface NotificationDraft {
  channel: NotificationChannel;
  to: string;
  template: string;
  params: Record<string, string>;
  businessNo?: string;
}

export function templateParams(template: NotificationTemplate): string[] {
  return [...new Set(Array.from(NOTIFICATION_TEMPLATES[template].text.matchAll(PLACEHOLDER), (match) => match[1]!))];
}

function isNotificationTemplate(value: string): value is NotificationTemplate {
  return Object.hasOwn(NOTIFICATION_TEMPLATES, value);
}

function characters(text: string): number {
  return Array.from(text).length;
}

function valueProblem(name: string, value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return `参数 ${name} 不能为空`;
  if (CONTROL.test(value)) return `参数 ${name} 含有换行或控制字符`;
  if (characters(value) > MAX_PARAM_LENGTH) return `参数 ${name} 超过 ${MAX_PARAM_LENGTH} 个字符`;
  return null;
}

function recipientProblem(channel: NotificationChannel, to: string): string | null {
  // Masked: the message ends up in failed jobs and logs, which ops read.
  if (channel === 'SMS') return MAINLAND_MOBILE.test(to) ? null : `短信接收号码须为 11 位大陆手机号：${maskPhone(to)}`;
  return to.length <= MAX_EMAIL_LENGTH && EMAIL_ADDRESS.test(to) ? null : `电子邮件地址格式不正确：${to}`;
}

/**
 * Checks the recipient and the parameters — every placeholder filled, nothing the template does
 * not use, since an unused parameter is almost always a misspelt one — and renders the text.
 * `businessNo` may come from the message or from params; when both are given they must agree.
 * Values are substituted in one pass, so a value that contains `{…}` is printed as is.
 */
export function renderNotification(draft: NotificationDraft): Rendering {
  const refuse = (problem: NotificationProblem, detail: string): Rendering => ({ ok: false, problem, detail });
  const recipient = recipientProblem(draft.channel, draft.to);
  if (recipient) return refuse('INVALID_RECIPIENT', recipient);
  if (!isNotificationTemplate(draft.template)) return refuse('UNKNOWN_TEMPLATE', `没有通知模板 ${draft.template}`);

  const values: Record<string, unknown> = { ...draft.params };
  if (draft.businessNo !== undefined) {
    const problem = valueProblem('businessNo', draft.businessNo);
    if (problem) return refuse('INVALID_PARAMS', problem);
    if (values.businessNo !== undefined && values.businessNo !== draft.businessNo) {
      return refuse('INVALID_PARAMS', `参数 businessNo（${String(values.businessNo)}）与消息的业务编号（${draft.businessNo}）不一致`);
    }
  }
  const wanted = templateParams(draft.template);
  if (draft.businessNo !== undefined && wanted.includes('businessNo')) values.businessNo = draft.businessNo;
  const unknown = Object.keys(values).filter((name) => !wanted.includes(name));
  if (unknown.length > 0) return refuse('INVALID_PARAMS', `模板 ${draft.template} 不使用参数 ${unknown.join('、')}`);
  const missing = wanted.filter((name) => values[name] === undefined);
  if (missing.length > 0) return refuse('INVALID_PARAMS', `模板 ${draft.template} 缺少参数 ${missing.join('、')}`);
  for (const name of wanted) {
    const problem = valueProblem(name, values[name]);
    if (problem) return refuse('INVALID_PARAMS', problem);
  }

  const { subject, text } = NOTIFICATION_TEMPLATES[draft.template];
  const body = text.replace(PLACEHOLDER, (_, name: string) => values[name] as string);
  if (draft.channel === 'EMAIL') return { ok: true, subject: `${EMAIL_SUBJECT_PREFIX}${subject}`, content: `${body}${EMAIL_FOOTER}` };
  const content = `${SMS_SIGNATURE}${body}`;
  if (characters(content) > MAX_SMS_LENGTH) {
    return refuse('TOO_LONG', `短信 ${characters(content)} 个字符，超过 ${MAX_SMS_LENGTH} 个字符的上限`);
  }
  return { ok: true, content };
}
