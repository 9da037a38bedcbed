import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getDefaultCalendar } from '../../domain/calendar/index.js';
import { InputError } from '../../domain/errors.js';
import {
  InvalidNoticeError,
  renderDeficiencyNotice,
  renderReceiptNotice,
  type DeficiencyNoticeData,
  type ReceiptNoticeData,
} from '../../domain/notices/index.js';

const receipt: ReceiptNoticeData = {
  businessNo: 'TB2025112450000000012',
  appliedAt: '2025-11-24T09:30:00+08:00',
  scope: 'SICHUAN_CHONGQING',
  receivingWindow: { name: '重庆市政务服务中心水利局“川渝通办”窗口', phone: '023-63211234' },
  jurisdictionWindow: { name: '四川省政务服务中心水利厅“川渝通办”窗口' },
  applicantName: '重庆渝水工程检测有限公司',
  itemName: '水利工程质量检测单位乙级资质认定（川渝通办）',
  legalItemName: '水利工程质量检测单位资质认定',
  contactName: '李明',
  contactPhone: '13812345678',
  legalLimitDays: 20,
  promisedLimitDays: 10,
  sampleData: false,
  handler: '王芳',
  materials: [
    { name: '水利工程质量检测单位资质等级申请表', form: 'ORIGINAL', copies: 1 },
    { name: '营业执照', form: 'COPY', copies: 1, verdict: 'QUALIFIED', opinion: null },
    { name: '检测人员职称证书', form: 'ORIGINAL_AND_COPY', copies: 2 },
    { name: '计量认证证书', form: 'ELECTRONIC', copies: 1 },
  ],
  issuedAt: '2025-11-24T10:05:00+08:00',
};

const deficiency: DeficiencyNoticeData = {
  ...receipt,
  materials: [
    { name: '水利工程质量检测单位资质等级申请表', form: 'ORIGINAL', copies: 1, verdict: 'QUALIFIED' },
    { name: '营业执照', form: 'COPY', copies: 1, verdict: 'DEFICIENT', opinion: '复印件不清晰，请提供清晰的复印件并加盖公章' },
    { name: '检测人员职称证书', form: 'ORIGINAL_AND_COPY', copies: 2, verdict: 'QUALIFIED' },
    { name: '质量保证体系文件', form: 'ORIGINAL', copies: 1, verdict: 'MISSING', opinion: '请提交原件1份。' },
  ],
  correctionDeadline: '2025-12-01',
  correctionWorkingDays: 5,
};

/** The text a reader sees: tags dropped, entities decoded, whitespace collapsed. */
function textOf(markup: string): string {
  return markup
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<br>/g, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function copiesOf(markup: string): string[] {
  return markup.split('<section class="copy"').slice(1).map((copy) => copy.slice(0, copy.indexOf('</section>')));
}

function tagsOf(markup: string): string[] {
  return markup.match(/<[^>]*>/g) ?? [];
}

function noticeErrorOf(run: () => unknown): InvalidNoticeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidNoticeError);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InvalidNoticeError).code).toBe('INPUT.INVALID_NOTICE');
    return error as InvalidNoticeError;
  }
  throw new Error('expected the notice to be refused');
}

describe('收件通知书', () => {
  const markup = renderReceiptNotice(receipt);
  const copies = copiesOf(markup);

  it('is a self-contained UTF-8 zh-CN document without scripts or external resources', () => {
    expect(markup.startsWith('<!DOCTYPE html>\n<html lang="zh-CN">')).toBe(true);
    expect(markup).toContain('<meta charset="utf-8">');
    expect(markup).toContain('<title>政务服务“川渝通办”收件通知书（TB2025112450000000012）</title>');
    expect(markup).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i);
    expect(markup).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('prints on A4 with a page break between copies', () => {
    expect(markup).toContain('@page { size: A4; margin: 15mm; }');
    expect(markup).toMatch(/\.copy \{[^}]*break-after: page;/);
    expect(markup).toMatch(/\.copy:last-child \{ break-after: auto;/);
  });

  it('comes in three copies labelled by who keeps them', () => {
    expect(copies).toHaveLength(3);
    expect(copies.map((copy) => /<p class="copy-label">(.*?)<\/p>/.exec(copy)?.[1])).toEqual([
      '第1联<strong>申请人留存</strong>',
      '第2联<strong>收件地“川渝通办”窗口留存</strong>',
      '第3联<strong>属地“川渝通办”窗口留存</strong>',
    ]);
    // Apart from the label, the three copies are identical.
    const body = (copy: string) => copy.replace(/data-copy="\d"/, '').replace(/<p class="copy-label">.*?<\/p>/, '');
    expect(body(copies[1]!)).toBe(body(copies[0]!));
    expect(body(copies[2]!)).toBe(body(copies[0]!));
  });

  it('carries every field of seed 000 附件2 with its value', () => {
    const text = textOf(copies[0]!);
    for (const expected of [
      '政务服务“川渝通办”收件通知书',
      '(一式3份，申请人1份、收件地“川渝通办”窗口留存1份、属地“川渝通办”窗口留存1份)',
      '业务编号：TB2025112450000000012',
      '申请时间：2025年11月24日9时',
      '收件地“川渝通办”窗口名称 重庆市政务服务中心水利局“川渝通办”窗口',
      '属地“川渝通办”窗口名称 四川省政务服务中心水利厅“川渝通办”窗口',
      '申请人名称 重庆渝水工程检测有限公司',
      '申请事项名称 水利工程质量检测单位乙级资质认定（川渝通办）',
      '法定事项名称 水利工程质量检测单位资质认定',
      '申请联系人 联系电话 李明 13812345678',
      '法定 时限 20个工作日',
      '承诺 期限 10个工作日',
      '收到您申请材料4件。具体如下： ' +
        '1.水利工程质量检测单位资质等级申请表：原件1份。 ' +
        '2.营业执照：复印件1份。 ' +
        '3.检测人员职称证书：原件2份，复印件2份。 ' +
        '4.计量认证证书：电子件1份。',
      '我们需要时间将您提交的申请材料寄送至属地“川渝通办”窗口进行审查，现在先行收下您的申请材料，后续属地“川渝通办”窗口将与您联系。',
      '经办人：王芳',
      '申请人签名：',
      '（收件地行政审批服务专用章） 2025年11月24日10时',
      '年 月 日 时',
      '窗口电话 023-63211234',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('writes the hour in Asia/Shanghai without a leading zero', () => {
    const at = (appliedAt: string) =>
      /申请时间：(.*?)</.exec(renderReceiptNotice({ ...receipt, appliedAt, issuedAt: '2025-11-25T12:00:00+08:00' }))?.[1];
    expect(at('2025-11-24T09:30:00+08:00')).toBe('2025年11月24日9时');
    expect(at('2025-11-24T01:59:59Z')).toBe('2025年11月24日9时');
    expect(at('2025-11-23T16:00:00Z')).toBe('2025年11月24日0时');
    expect(at('2025-11-24T15:00:00Z')).toBe('2025年11月24日23时');
  });

  it('uses the title and window wording of the other kinds of 通办', () => {
    const crossDistrict = textOf(renderReceiptNotice({ ...receipt, scope: 'CROSS_DISTRICT' }));
    expect(crossDistrict).toContain('政务服务“跨区县通办”收件通知书');
    expect(crossDistrict).toContain('收件地“通办”窗口名称');
    expect(crossDistrict).toContain('寄送至属地“通办”窗口进行审查');
    expect(crossDistrict).not.toContain('“川渝通办”窗口名称');
    const inProvince = renderReceiptNotice({ ...receipt, scope: 'IN_PROVINCE' });
    expect(inProvince).toContain('政务服务“省内通办”收件通知书');
    expect(inProvince).toContain('第3联<strong>属地“通办”窗口留存</strong>');
  });

  it('is refused when a material is not qualified, or a field is missing', () => {
    const withDefect = noticeErrorOf(() =>
      renderReceiptNotice({ ...receipt, materials: [...receipt.materials, { ...deficiency.materials[3]! }] }),
    );
    expect(withDefect.issues).toEqual(['第 5 项材料「质量保证体系文件」未提交，材料不齐全时应出具一次性告知书']);

    const incomplete = noticeErrorOf(() =>
      renderReceiptNotice({
        ...receipt,
        applicantName: ' ',
        handler: '',
        legalLimitDays: 2.5,
        appliedAt: '2025-11-24 09:30',
        materials: [{ name: '营业执照', form: 'COPY', copies: 0 }],
      }),
    );
    expect(incomplete.issues).toEqual([
      '申请人名称不能为空',
      '经办人不能为空',
      '法定时限应为非负整数个工作日',
      '申请时间应为带时区的 ISO-8601 时间',
      '第 1 项材料「营业执照」的份数应为正整数',
    ]);
    expect(noticeErrorOf(() => renderReceiptNotice({ ...receipt, materials: [] })).issues).toEqual(['材料清单不能为空']);
    expect(
      noticeErrorOf(() => renderReceiptNotice({ ...receipt, issuedAt: '2025-11-24T08:00:00+08:00' })).issues,
    ).toEqual(['出具时间早于申请时间']);
  });
});

describe('一次性告知书', () => {
  const markup = renderDeficiencyNotice(deficiency);
  const copies = copiesOf(markup);

  it('comes in three copies with the scope title', () => {
    expect(copies).toHaveLength(3);
    expect(markup).toContain('<h1 class="title">政务服务“川渝通办”一次性告知书</h1>');
  });

  it('lists every material with its verdict; the count excludes what was not handed in', () => {
    expect(textOf(copies[0]!)).toContain(
      '收到您申请材料3件，经审查，具体情况如下： ' +
        '1.水利工程质量检测单位资质等级申请表：原件1份，合格。 ' +
        '2.营业执照：复印件1份，不合格。补正意见：复印件不清晰，请提供清晰的复印件并加盖公章。 ' +
        '3.检测人员职称证书：原件2份，复印件2份，合格。 ' +
        '4.质量保证体系文件：未提交，不合格。补正意见：请提交原件1份。',
    );
  });

  it('states the correction period in working days and its last date', () => {
    // Mon 2025-11-24 + 5 working days = Mon 2025-12-01: the printed date is the calendar's.
    expect(getDefaultCalendar().addWorkingDays('2025-11-24', 5)).toBe(deficiency.correctionDeadline);
    expect(textOf(copies[0]!)).toContain(
      '请将上述需补正的材料补齐补正，在5个工作日内(2025年12月1日前)送至本窗口，逾期未补正的，视为您放弃本次申请。',
    );
  });

  it('carries the shared fields of seed 000 附件1', () => {
    const text = textOf(copies[2]!);
    for (const expected of [
      '第3联 属地“川渝通办”窗口留存',
      '业务编号：TB2025112450000000012',
      '申请时间：2025年11月24日9时',
      '申请人名称 重庆渝水工程检测有限公司',
      '申请联系人 联系电话 李明 13812345678',
      '法定 时限 20个工作日',
      '承诺 期限 10个工作日',
      '经办人：王芳',
      '（收件地行政审批服务专用章） 2025年11月24日10时',
      '窗口电话 023-63211234',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('is refused when nothing needs correcting or an opinion or deadline is missing', () => {
    const allQualified = deficiency.materials.map((material) => ({ ...material, verdict: 'QUALIFIED' as const }));
    expect(noticeErrorOf(() => renderDeficiencyNotice({ ...deficiency, materials: allQualified })).issues).toEqual([
      '材料均合格，应出具收件通知书',
    ]);
    const unexplained = deficiency.materials.map((material) => ({ ...material, opinion: null }));
    expect(noticeErrorOf(() => renderDeficiencyNotice({ ...deficiency, materials: unexplained })).issues).toEqual([
      '第 2 项材料「营业执照」缺少补正意见',
      '第 4 项材料「质量保证体系文件」缺少补正意见',
    ]);
    expect(
      noticeErrorOf(() =>
        renderDeficiencyNotice({ ...deficiency, correctionDeadline: '2025-11-31', correctionWorkingDays: 0 }),
      ).issues,
    ).toEqual(['补正期限（工作日数）应为正整数', '补正截止日期应为 YYYY-MM-DD 格式的有效日期']);
    expect(
      noticeErrorOf(() => renderDeficiencyNotice({ ...deficiency, correctionDeadline: '2025-11-23' })).issues,
    ).toEqual(['补正截止日期早于出具日期']);
    const unjudged = { ...deficiency, materials: [{ name: '营业执照', form: 'COPY', copies: 1 }] } as unknown as DeficiencyNoticeData;
    expect(noticeErrorOf(() => renderDeficiencyNotice(unjudged)).issues).toContain('第 1 项材料「营业执照」缺少审查结论');
  });
});

describe('fitting a copy on one page', () => {
  it('sets a long materials list in the smaller size rather than spilling onto a second sheet', () => {
    expect(renderReceiptNotice(receipt)).toContain('<td colspan="6" class="details">');
    const opinion = '复印件不清晰且未加盖单位公章，请提供清晰的复印件并加盖单位公章，同时提交原件核验，原件核验后当场退还';
    const long = Array.from({ length: 8 }, (_, i) => ({
      name: `技术负责人职称证书及从事水利工程质量检测工作经历证明${i + 1}`,
      form: 'ORIGINAL_AND_COPY' as const,
      copies: 2,
      verdict: 'DEFICIENT' as const,
      opinion,
    }));
    const markup = renderDeficiencyNotice({ ...deficiency, materials: long });
    expect(markup.match(/class="details compact"/g)).toHaveLength(3);
  });
});

describe('escaping', () => {
  const attack = '<script>alert("x")</script>';

  it('prints a <script> in the applicant name as text', () => {
    const markup = renderReceiptNotice({ ...receipt, applicantName: `某公司${attack}` });
    expect(markup).not.toContain('<script');
    expect(markup).toContain('某公司&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(textOf(copiesOf(markup)[0]!)).toContain(`申请人名称 某公司${attack}`);
  });

  it('property: no value, whatever it contains, changes the tag structure of either notice', () => {
    const benignReceipt = tagsOf(renderReceiptNotice(receipt));
    const benignDeficiency = tagsOf(renderDeficiencyNotice(deficiency));
    const nasty = fc
      .string({ unit: fc.constantFrom('<', '>', '&', '"', "'", '/', '=', 'a', '章', ' ', 'script', '<!--', ']]>'), minLength: 1 })
      .filter((value) => value.trim().length > 0);
    fc.assert(
      fc.property(fc.array(nasty, { minLength: 12, maxLength: 12 }), (values) => {
        const [a, b, c, d, e, f, g, h, i, j, k, l] = values as [string, string, string, string, string, string, string, string, string, string, string, string];
        const text = {
          businessNo: a,
          receivingWindow: { name: b, phone: c },
          jurisdictionWindow: { name: d },
          applicantName: e,
          itemName: f,
          legalItemName: g,
          contactName: h,
          contactPhone: i,
          handler: j,
        };
        const receiptMarkup = renderReceiptNotice({
          ...receipt,
          ...text,
          materials: receipt.materials.map((material) => ({ ...material, name: k })),
        });
        expect(tagsOf(receiptMarkup)).toEqual(benignReceipt);
        expect(textOf(receiptMarkup)).toContain(`申请人名称 ${e}`.replace(/\s+/g, ' '));
        const deficiencyMarkup = renderDeficiencyNotice({
          ...deficiency,
          ...text,
          materials: deficiency.materials.map((material) => ({ ...material, name: k, opinion: l })),
        });
        expect(tagsOf(deficiencyMarkup)).toEqual(benignDeficiency);
      }),
      { numRuns: 200 },
    );
  });
});
