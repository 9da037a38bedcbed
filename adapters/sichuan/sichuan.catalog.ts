/**
 * Sample catalog of the 四川一体化 sandbox.
 *
 * Provenance:
 * - 阿坝州 (513200): the 75 rows of 《州本级统一印章审批事项基本清单》, the annex of
 *   阿府办函〔2019〕88号 (seed 004), transcribed column by column: 序号, 现业务主管部门,
 *   对应序号, 权力类型, 权力名称, a "×" mark and 备注. The extracted text does not say which
 *   column the "×" belongs to (行使层级 most likely), so it is kept verbatim, uninterpreted.
 *   备注 is read: 暂停 (rows 32, 73) suspends the item, 已下放 (row 13) says the power went
 *   down a level; neither can be applied for here. Those three are the annex's only remarks.
 * - 四川省水利厅 (510000): 水利工程质量检测单位乙级资质认定, a 川渝通办 item since
 *   2022-05-23 (seed 000).
 * - 四川省自然资源厅 (510000): 矿业权登记, which seed 003 reports handled as 省内通办,
 *   川渝通办 and 跨省通办. The seed names the category only, not its sub-items.
 *
 * Names, departments and power types come from the seeds. Time limits and required
 * materials do not (no 办事指南 is among the seeds): they are derived from a hash of
 * the item code, so they are stable across runs, and every item says `sampleData: true`.
 */
import { createHash } from 'node:crypto';
import type { CatalogItem, ItemStatus, MaterialForm, RequiredMaterial, Scope } from '../platform.port.js';

type SeedRow = readonly [
  serial: number,
  department: string,
  powerListNo: number,
  powerType: string,
  name: string,
  mark: '' | '×',
  remark: '' | '已下放' | '暂停',
];

const ABA_DIVISION = '513200';
const PROVINCE_DIVISION = '510000';

const ABA_ROWS: readonly SeedRow[] = [
  [1, '州教育局', 28, '行政许可', '实施中等及中等以下学历教育、学前教育、自学考试助学及其他文化教育的学校设立、变更和终止审批', '', ''],
  [2, '州教育局', 29, '行政许可', '实施专科教育的高等学校和其他高等教育机构的设立、变更和终止审批', '×', ''],
  [3, '州教育局', 36, '行政许可', '教师资格认定', '', ''],
  [4, '州司法局', 126, '行政许可', '律师事务所(分所)设立、变更、注销许可', '×', ''],
  [5, '州司法局', 127, '行政许可', '律师执业、变更、注销许可', '×', ''],
  [6, '州司法局', 128, '行政许可', '香港、澳门永久性居民中的中国居民申请在内地从事律师职业核准', '×', ''],
  [7, '州司法局', 133, '行政许可', '台湾居民申请在大陆从事律师职业许可', '×', ''],
  [8, '州司法局', 135, '行政许可', '公证员执业、变更许可', '', ''],
  [9, '州司法局', 137, '行政许可', '司法鉴定机构及其分支机构设立、变更、注销登记', '×', ''],
  [10, '州司法局', 138, '行政许可', '司法鉴定人执业、变更、注销登记', '×', ''],
  [11, '州司法局', 139, '行政许可', '公证机构设立、变更', '', ''],
  [12, '州司法局', 140, '行政许可', '基层法律服务工作者执业、变更、注销许可', '', ''],
  [13, '州财政局', 144, '行政许可', '中介机构从事代理记账业务审批', '', '已下放'],
  [14, '州人社局', 147, '行政许可', '民办职业培训学校设立、分立、合并、变更及终止审批', '', ''],
  [15, '州人社局', 150, '行政许可', '经营性人力资源服务机构从事职业中介活动许可', '', ''],
  [16, '州人社局', 151, '行政许可', '地方职业技能考核鉴定机构设立审批', '×', ''],
  [17, '州人社局', 152, '行政许可', '地方企业实行不定时工作制和综合计算工时工作制审批', '', ''],
  [18, '州人社局', 153, '行政许可', '劳务派遣经营许可', '', ''],
  [19, '州科技局', 154, '行政许可', '外国人来华工作许可', '×', ''],
  [20, '州农业农村局', 314, '行政许可', '国内异地引进水产苗种检疫', '', ''],
  [21, '州农业农村局', 315, '行政许可', '动物及动物产品检疫合格证核发', '', ''],
  [22, '州农业农村局', 321, '行政许可', '拖拉机驾驶培训学校、驾驶培训班资格认定', '×', ''],
  [23, '州农业农村局', 326, '行政许可', '水产苗种生产审批', '', ''],
  [24, '州农业农村局', 340, '行政许可', '农作物种子生产经营许可证核发', '', ''],
  [25, '州农业农村局', 356, '行政许可', '农业植物及其产品调运检疫及植物检疫证书签发', '', ''],
  [26, '州农业农村局', 370, '行政许可', '种畜禽生产经营许可', '', ''],
  [27, '州农业农村局', 372, '行政许可', '生猪定点屠宰厂(场)设置审查', '×', ''],
  [28, '州农业农村局', 377, '行政许可', '兽药经营许可证核发', '', ''],
  [29, '州农业农村局', 386, '行政许可', '水下工程作业渔业资源及环境影响评价审查及补救措施审批', '×', ''],
  [30, '州农业农村局', 392, '行政许可', '农药生产经营审批', '', ''],
  [31, '州农业农村局', 393, '行政许可', '新建或迁建农村机电提灌站审批', '', ''],
  [32, '州农业农村局', 394, '行政许可', '经营利用重要经济价值水生野生动物水生植物审批', '×', '暂停'],
  [33, '州农业农村局', 381, '行政许可', '渔业船舶登记', '', ''],
  [34, '州商务经济合作局', 438, '行政许可', '对外贸易经营者备案登记', '', ''],
  [35, '州商务经济合作局', 431, '行政许可', '对外劳务合作经营资格核准', '×', ''],
  [36, '州文体旅游局', 447, '行政许可', '互联网上网服务营业场所经营单位设立审批', '', ''],
  [37, '州文体旅游局', 452, '行政许可', '香港特别行政区、澳门特别行政区的投资者在内地投资设立合资、合作、独资经营的演出场所经营单位的审批', '×', ''],
  [38, '州文体旅游局', 454, '行政许可', '台湾地区的投资者在大陆投资设立合资、合作经营的演出场所经营单位的审批', '×', ''],
  [39, '州文体旅游局', 462, '行政许可', '非国有文物收藏单位和其他单位借用国有文物收藏单位馆藏文物审批', '', ''],
  [40, '州文体旅游局', 466, '行政许可', '对文物保护单位、未核定为文物保护单位的不可移动文物修缮许可', '', ''],
  [41, '州文体旅游局', 467, '行政许可', '核定为文物保护单位的属于国家所有的纪念建筑物或者古建筑改变用途审核', '×', ''],
  [42, '州文体旅游局', 468, '行政许可', '建设工程文物保护和考古许可', '', ''],
  [43, '州文体旅游局', 471, '行政许可', '文物保护单位原址保护措施审批', '', ''],
  [44, '州文体旅游局', 473, '行政许可', '文物保护工程资质证书核发(权限内)', '', ''],
  [45, '州文体旅游局', 619, '行政许可', '举办攀登山峰活动审批', '×', ''],
  [46, '州文体旅游局', 620, '行政许可', '临时占用公共体育场(馆)设施审批', '', ''],
  [47, '州文体旅游局', 652, '行政许可', '景区景点讲解人员资格认定', '×', ''],
  [48, '州市场监管局', 510, '行政许可', '名称预先核准(包括企业、企业集团、个体工商户、农民专业合作社名称预先核准)', '', ''],
  [49, '州市场监管局', 511, '行政许可', '企业设立、变更、注销登记', '', ''],
  [50, '州市场监管局', 514, '行政许可', '广告发布登记', '', ''],
  [51, '州市场监管局', 517, '行政许可', '计量标准器具核准', '', ''],
  [52, '州市场监管局', 519, '行政许可', '为社会提供公证数据的产品质量检验机构计量认证', '×', ''],
  [53, '州市场监管局', 520, '行政许可', '承担国家法定计量检定机构任务授权', '', ''],
  [54, '州市场监管局', 521, '行政许可', '特种设备作业人员资格认定', '', ''],
  [55, '州市场监管局', 522, '行政许可', '特种设备生产许可', '×', ''],
  [56, '州市场监管局', 523, '行政许可', '特种设备使用登记', '×', ''],
  [57, '州市场监管局', 525, '行政许可', '重要工业产品生产许可证核发', '×', ''],
  [58, '州市场监管局', 527, '行政许可', '向社会出具具有证明作用的数据和结果的检查机构、实验室资质认定', '×', ''],
  [59, '州市场监管局', 528, '行政许可', '食品(含保健食品)生产许可', '×', ''],
  [60, '州市场监管局', 529, '行政许可', '食品(含保健食品)经营许可', '', ''],
  [61, '州市场监管局', 535, '行政许可', '药品零售企业许可', '×', ''],
  [62, '州市场监管局', 538, '行政许可', '药品经营质量管理规范(GSP)认证', '×', ''],
  [63, '州市场监管局', 548, '行政许可', '第二类精神药品零售业务审批', '×', ''],
  [64, '州市场监管局', 549, '行政许可', '麻醉药品和第一类精神药品运输证明核发', '×', ''],
  [65, '州市场监管局', 550, '行政许可', '麻醉药品和精神药品购买审批', '×', ''],
  [66, '州市场监管局', 551, '行政许可', '麻醉药品和精神药品邮寄证明核发', '×', ''],
  [67, '州市场监管局', 552, '行政许可', '医疗单位使用放射性药品许可', '×', ''],
  [68, '州市场监管局', 557, '行政许可', '第三类医疗器械经营许可', '×', ''],
  [69, '州市场监管局', 558, '行政许可', '执业药师注册', '×', ''],
  [70, '州市场监管局', 577, '行政许可', '医疗用毒性药品零售企业批准', '×', ''],
  [71, '州广电局', 601, '行政许可', '乡镇设立广播电视站和机关、部队、团体、企业事业单位设立有线广播电视站审批', '', ''],
  [72, '州广电局', 602, '行政许可', '广播电视视频点播业务许可证(乙种)审批', '', ''],
  [73, '州广电局', 603, '行政许可', '有线广播电视传输覆盖网工程建设及验收审核', '', '暂停'],
  [74, '州广电局', 604, '行政许可', '对新闻出版广电总局负责的广播电台、电视台设立、终止审批的初审', '', ''],
  [75, '州广电局', 611, '行政许可', '卫星电视广播地面接收设施安装服务许可', '', ''],
];

interface ProvincialSeed {
  serial: number;
  name: string;
  legalName: string;
  department: string;
  powerType: string;
  scopes: Scope[];
  specificMaterials: readonly string[];
}

const PROVINCIAL_SEEDS: readonly ProvincialSeed[] = [
  {
    serial: 1,
    name: '水利工程质量检测单位乙级资质认定',
    // 乙级 is a grade within the one statutory item of 《水利工程质量检测管理规定》.
    legalName: '水利工程质量检测单位资质认定',
    department: '四川省水利厅',
    powerType: '行政许可',
    scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE'],
    specificMaterials: [
      '计量认证资质证书',
      '检测人员职称证书及从业证明',
      '主要检测仪器设备清单及检定（校准）证书',
      '质量管理体系文件',
      '检测场所产权证明或租赁合同',
    ],
  },
  {
    serial: 2,
    name: '矿业权登记',
    legalName: '矿业权登记',
    department: '四川省自然资源厅',
    powerType: '行政许可',
    scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE', 'CROSS_PROVINCE'],
    specificMaterials: [
      '矿区范围图及拐点坐标',
      '勘查实施方案或矿产资源开发利用方案',
      '矿业权出让收益缴纳凭证',
      '地质资料汇交凭证',
    ],
  },
];

/** Items whose applicant is a person, not an organisation: they ask for an ID card and a 申请表. */
const PERSON_ITEM = /教师资格|律师执业|律师职业|公证员|司法鉴定人|法律服务工作者|讲解人员|作业人员|执业药师/;

const ORGANISATION_MATERIALS = [
  '法定代表人（负责人）任职文件',
  '场所产权证明或租赁合同',
  '主要负责人及专业技术人员名册',
  '专业技术人员资格证书',
  '管理制度文本',
  '设施设备清单',
  '章程',
  '资金证明',
  '平面布置图',
  '可行性研究报告',
] as const;

const PERSON_MATERIALS = [
  '学历证书',
  '近期一寸免冠彩色照片',
  '体检合格证明',
  '无犯罪记录证明',
  '工作经历证明',
  '培训考核合格证明',
] as const;

/** Statutory limits in working days, weighted to 20: 行政许可法 §42's default unless a law sets another (§82: working days). */
const LEGAL_LIMITS = [20, 20, 20, 20, 20, 15, 30, 10, 45, 60] as const;
const PROMISE_RATIOS = [1, 0.75, 0.5, 0.5, 0.25] as const;
const SPECIFIC_FORMS: readonly MaterialForm[] = ['ORIGINAL', 'COPY', 'COPY', 'ORIGINAL_AND_COPY'];

/** Byte stream from the code's SHA-256: the only source of the generated values. */
function derivation(code: string): () => number {
  const bytes = createHash('sha256').update(code).digest();
  let next = 0;
  return () => bytes[next++ % bytes.length]!;
}

function pick<T>(byte: number, options: readonly T[]): T {
  return options[byte % options.length]!;
}

function identityDocument(name: string, person: boolean): string {
  if (!person) return '法定代表人（负责人）身份证件';
  if (name.includes('台湾居民')) return '台湾居民来往大陆通行证';
  if (/香港|澳门/.test(name)) return '港澳居民来往内地通行证';
  return '申请人居民身份证';
}

function generateMaterials(code: string, name: string, person: boolean, pool: readonly string[]): RequiredMaterial[] {
  const next = derivation(`${code}/materials`);
  const remaining = [...pool];
  const count = Math.min(remaining.length, 1 + (next() % 4));
  const specific: RequiredMaterial[] = [];
  for (let i = 0; i < count; i++) {
    const [materialName] = remaining.splice(next() % remaining.length, 1);
    specific.push({
      name: materialName!,
      form: pick(next(), SPECIFIC_FORMS),
      copies: 1 + (next() % 2),
      // The last of several is sometimes situational (“如有”), as 办事指南 often mark it.
      required: i < count - 1 || count === 1 || next() % 3 !== 0,
    });
  }
  const formName = name.replace(/\(权限内\)$/, '');
  return [
    { name: identityDocument(name, person), form: 'ORIGINAL_AND_COPY', copies: 1, required: true },
    { name: `${formName}${person ? '申请表' : '申请书'}`, form: 'ORIGINAL', copies: 1, required: true },
    ...specific,
  ];
}

function generateLimits(code: string): { legalLimitDays: number; promisedLimitDays: number } {
  const next = derivation(`${code}/limits`);
  const legalLimitDays = pick(next(), LEGAL_LIMITS);
  const promisedLimitDays = Math.max(1, Math.ceil(legalLimitDays * pick(next(), PROMISE_RATIOS)));
  return { legalLimitDays, promisedLimitDays };
}

function itemCode(division: string, serial: number): string {
  return `${division}-${String(serial).padStart(5, '0')}`;
}

const STATUS_OF_REMARK = { '': 'AVAILABLE', 暂停: 'SUSPENDED', 已下放: 'DELEGATED' } as const satisfies Record<SeedRow[6], ItemStatus>;

function abaItem([serial, department, , powerType, name, , remark]: SeedRow): CatalogItem {
  const code = itemCode(ABA_DIVISION, serial);
  const person = PERSON_ITEM.test(name);
  const alsoChongqing = derivation(`${code}/scopes`)() % 4 === 0;
  return {
    code,
    region: 'SICHUAN',
    name,
    legalName: name,
    // The seed writes 州教育局 for 阿坝州教育局: unambiguous there, not in a two-region catalog.
    department: `阿坝${department}`,
    divisionCode: ABA_DIVISION,
    powerType,
    ...generateLimits(code),
    materials: generateMaterials(code, name, person, person ? PERSON_MATERIALS : ORGANISATION_MATERIALS),
    scopes: alsoChongqing ? ['SICHUAN_CHONGQING', 'IN_PROVINCE'] : ['IN_PROVINCE'],
    sampleData: true,
    status: STATUS_OF_REMARK[remark],
    statusRemark: remark || null,
  };
}

function provincialItem(seed: ProvincialSeed): CatalogItem {
  const code = itemCode(PROVINCE_DIVISION, seed.serial);
  return {
    code,
    region: 'SICHUAN',
    name: seed.name,
    legalName: seed.legalName,
    department: seed.department,
    divisionCode: PROVINCE_DIVISION,
    powerType: seed.powerType,
    ...generateLimits(code),
    materials: generateMaterials(code, seed.name, false, seed.specificMaterials),
    scopes: seed.scopes,
    sampleData: true,
    status: 'AVAILABLE',
    statusRemark: null,
  };
}

export const SICHUAN_CATALOG: readonly CatalogItem[] = [...PROVINCIAL_SEEDS.map(provincialItem), ...ABA_ROWS.map(abaItem)];
