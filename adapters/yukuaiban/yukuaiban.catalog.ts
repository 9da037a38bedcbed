/**
 * The sandbox's 渝快办 catalog: the published items (catalog.data.ts) completed with the
 * elements no public list gives — power type, time limits, required materials.
 *
 * Provenance of each field:
 * - code serial, name, department, scopes: from the seeds;
 * - legalName: from the seeds, or our reading where catalog.data.ts sets it;
 * - powerType: inferred from the name (inferPowerType) unless catalog.data.ts sets it;
 * - legalLimitDays, promisedLimitDays, materials: generated from a hash of the code,
 *   so the catalog is identical on every run and every machine. Hence `sampleData: true`.
 */
import { createHash } from 'node:crypto';
import type { CatalogItem, MaterialForm, RequiredMaterial, Scope } from '../platform.port.js';
import { DEPARTMENTS, SEED_ITEMS, type SeedItem } from './catalog.data.js';

export const CHONGQING_DIVISION_CODE = '500000';

const DEFAULT_SCOPES: readonly Scope[] = ['CROSS_DISTRICT', 'SICHUAN_CHONGQING'];

export function chongqingItemCode(serial: number): string {
  return `${CHONGQING_DIVISION_CODE}-${String(serial).padStart(5, '0')}`;
}

const LICENCE_WORDS = /许可|审批|设立|核发|认定|评定|审核|审查|批准|审定|考核|验收|登记|变更|增加|新增|增项|开业|延续|延期|注销/;

/** Filings (备案) are not licences; nearly every other act in this list grants or amends one. */
export function inferPowerType(name: string): string {
  if (name.includes('备案')) return '其他行政权力';
  if (LICENCE_WORDS.test(name)) return '行政许可';
  return '公共服务';
}

/** Twenty working days is the Administrative Licensing Law's default, so it dominates. */
const LEGAL_LIMITS = [20, 20, 20, 20, 20, 20, 15, 30, 10, 40] as const;

/** Items applied for by a person, or by founders of a body that does not exist yet. */
const PERSONAL_APPLICANT = /学籍|人员|驾驶员|执业兽医|司法鉴定人|台湾居民|成立登记|设立/;

type MaterialTemplate = readonly [name: string, form: MaterialForm, copies: number];

const POOLS: readonly { match: RegExp; materials: readonly MaterialTemplate[] }[] = [
  {
    match: /注销|终止/,
    materials: [
      ['清算报告', 'ORIGINAL', 1],
      ['原许可证书正副本', 'ORIGINAL', 1],
      ['债权债务处理情况说明', 'ORIGINAL', 1],
      ['内部决议文件', 'ORIGINAL_AND_COPY', 1],
      ['税务清税证明', 'COPY', 1],
    ],
  },
  {
    match: /变更|增加|新增|增项|转让/,
    materials: [
      ['变更事项说明', 'ORIGINAL', 1],
      ['变更事项相关证明材料', 'ORIGINAL_AND_COPY', 1],
      ['原许可证书正副本', 'ORIGINAL', 1],
      ['内部决议文件', 'ORIGINAL_AND_COPY', 1],
    ],
  },
  {
    match: /延续|延期|保留/,
    materials: [
      ['原许可证书', 'ORIGINAL_AND_COPY', 1],
      ['有效期内执业（经营）情况报告', 'ORIGINAL', 1],
      ['主要负责人及从业人员情况说明', 'ORIGINAL', 1],
      ['有效期内合规情况承诺书', 'ORIGINAL', 1],
    ],
  },
  {
    match: /矿/,
    materials: [
      ['勘查（开采）实施方案', 'ORIGINAL', 2],
      ['矿区范围图及拐点坐标', 'ORIGINAL', 1],
      ['资金来源证明', 'COPY', 1],
      ['地质勘查报告', 'ORIGINAL', 1],
      ['矿业权出让合同', 'COPY', 1],
    ],
  },
  {
    match: /建设|工程|设计|规划|电站|水电/,
    materials: [
      ['项目批准（核准、备案）文件', 'COPY', 1],
      ['设计文件或方案文本', 'ORIGINAL', 2],
      ['建设用地权属证明', 'COPY', 1],
      ['专家评审意见', 'ORIGINAL', 1],
      ['相关技术报告', 'ORIGINAL', 1],
    ],
  },
  {
    match: /人员|驾驶员|资格|执业|学籍|考核/,
    materials: [
      ['学历（学位）证明', 'ORIGINAL_AND_COPY', 1],
      ['专业资格证书', 'ORIGINAL_AND_COPY', 1],
      ['近期一寸免冠照片', 'ORIGINAL', 2],
      ['体检证明', 'ORIGINAL', 1],
      ['培训（考试）合格证明', 'COPY', 1],
    ],
  },
  {
    match: /备案/,
    materials: [
      ['备案表', 'ORIGINAL', 2],
      ['备案事项相关文本', 'ORIGINAL', 1],
      ['内部审议（决议）文件', 'COPY', 1],
      ['真实性承诺书', 'ORIGINAL', 1],
    ],
  },
  {
    match: /./,
    materials: [
      ['章程或管理制度文本', 'ORIGINAL', 1],
      ['经营（办公）场所使用证明', 'COPY', 1],
      ['主要负责人及从业人员资格证明', 'COPY', 1],
      ['设施设备清单', 'ORIGINAL', 1],
      ['法定代表人身份证明', 'COPY', 1],
    ],
  },
];

function applicationFormName(legalName: string): string {
  const base = legalName.replace(/^申请/, '').replace(/申请$/, '');
  return `${base}申请表`;
}

function generatedMaterials(seed: SeedItem, legalName: string, digest: Buffer): RequiredMaterial[] {
  const identity: RequiredMaterial = PERSONAL_APPLICANT.test(seed.name)
    ? { name: '申请人身份证明', form: 'ORIGINAL_AND_COPY', copies: 1, required: true }
    : { name: '营业执照', form: 'COPY', copies: 1, required: true };
  const application: RequiredMaterial = { name: applicationFormName(legalName), form: 'ORIGINAL', copies: 1, required: true };
  const pool = POOLS.find((candidate) => candidate.match.test(seed.name))!.materials;
  const count = 1 + (digest[3]! % 4);
  const start = digest[4]! % pool.length;
  const specific: RequiredMaterial[] = [];
  for (let i = 0; i < Math.min(count, pool.length); i += 1) {
    const [name, form, copies] = pool[(start + i) % pool.length]!;
    // The first item-specific material is what the decision rests on; later ones are sometimes "如有".
    specific.push({ name, form, copies, required: i === 0 || digest[5 + i]! % 4 !== 0 });
  }
  return [identity, application, ...specific];
}

export function buildCatalogItem(seed: SeedItem): CatalogItem {
  const code = chongqingItemCode(seed.serial);
  const digest = createHash('sha256').update(code).digest();
  const legalName = seed.legalName ?? seed.name;
  const legalLimitDays = LEGAL_LIMITS[digest[0]! % LEGAL_LIMITS.length]!;
  return {
    code,
    region: 'CHONGQING',
    name: seed.name,
    legalName,
    department: DEPARTMENTS[seed.department],
    divisionCode: CHONGQING_DIVISION_CODE,
    powerType: seed.powerType ?? inferPowerType(seed.name),
    legalLimitDays,
    promisedLimitDays: Math.min(legalLimitDays, 5 + (digest[1]! % 11)),
    materials: generatedMaterials(seed, legalName, digest),
    scopes: [...(seed.scopes ?? DEFAULT_SCOPES)],
    sampleData: true,
    // Seed 001's list has no 备注 column: every item it names is open.
    status: 'AVAILABLE',
    statusRemark: null,
  };
}

export const YUKUAIBAN_CATALOG: readonly CatalogItem[] = SEED_ITEMS.map(buildCatalogItem);
