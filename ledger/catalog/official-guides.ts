import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { CatalogItem, PlatformPort, RequiredMaterial } from '../../adapters/platform.port.js';
import { describeZodIssues } from '../../adapters/wire.kit.js';
import { InputError } from '../../domain/errors.js';
import { regionOfItemCode, type Region } from '../../domain/region.js';
import { catalogGenerationKey } from './catalog-generation.js';

/**
 * An item's 办事指南 as a department publishes it: the time limits and the material list.
 * The platforms' sample catalogs generate both (`sampleData: true`); ops load the official
 * ones from a guide file (`npm run ops -- guide load <file>`, format in the README and
 * scripts/guide.sample.json), and every read of the catalog puts them over the generated values.
 */
export interface OfficialGuide {
  legalLimitDays: number;
  promisedLimitDays: number;
  materials: RequiredMaterial[];
  /** Which 办事指南 it was taken from, e.g. "四川省水利厅 办事指南（2025年版）". */
  source: string;
}

export const GUIDE_FORMAT = 'tongban.guide/1';
const GUIDES_KEY = 'catalog:{catalog}:guides';

const days = z.number().int().min(1).max(999);
const guideFileSchema = z
  .object({
    format: z.literal(GUIDE_FORMAT),
    source: z.string().trim().min(1).max(200),
    items: z
      .array(
        z
          .object({
            code: z.string().regex(/^\d{6}-\d{5}$/),
            legalLimitDays: days,
            promisedLimitDays: days,
            materials: z
              .array(
                z
                  .object({
                    name: z.string().trim().min(1).max(100),
                    form: z.enum(['ORIGINAL', 'COPY', 'ORIGINAL_AND_COPY', 'ELECTRONIC']),
                    copies: z.number().int().min(0).max(99),
                    required: z.boolean(),
                  })
                  .strict(),
              )
              .min(1)
              .max(100),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
  })
  .strict();

export class GuideFileError extends InputError {}

/** Every check a guide file must pass before anything is stored; the first failure is thrown. */
export function validateGuideFile(input: unknown): Map<string, OfficialGuide> {
  const parsed = guideFileSchema.safeParse(input);
  if (!parsed.success) {
    const format = (input as { format?: unknown } | null)?.format;
    if (format !== GUIDE_FORMAT) throw new GuideFileError('GUIDE.UNKNOWN_FORMAT', `办事指南文件应写明 "format": "${GUIDE_FORMAT}"`);
    throw new GuideFileError('GUIDE.INVALID_FILE', `办事指南文件不符合格式: ${describeZodIssues(parsed.error, 3, '; ')}`);
  }
  const guides = new Map<string, OfficialGuide>();
  for (const item of parsed.data.items) {
    assertGuideRegion(item.code);
    if (guides.has(item.code)) throw new GuideFileError('GUIDE.DUPLICATE_ITEM', `事项 ${item.code} 在文件中出现了两次`);
    if (item.promisedLimitDays > item.legalLimitDays) {
      throw new GuideFileError('GUIDE.LIMITS_INCONSISTENT', `事项 ${item.code} 的承诺时限（${item.promisedLimitDays}）长于法定时限（${item.legalLimitDays}）`);
    }
    const names = item.materials.map((m) => m.name);
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated) throw new GuideFileError('GUIDE.DUPLICATE_MATERIAL', `事项 ${item.code} 的材料「${repeated}」列了两次`);
    guides.set(item.code, { legalLimitDays: item.legalLimitDays, promisedLimitDays: item.promisedLimitDays, materials: item.materials, source: parsed.data.source });
  }
  return guides;
}

function assertGuideRegion(code: string): void {
  try {
    regionOfItemCode(code);
  } catch {
    throw new GuideFileError('GUIDE.INVALID_ITEM_CODE', `事项编码 ${code} 不属于重庆或四川`);
  }
}

export class OfficialGuideStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Stores every guide of a validated file and drops the cached catalogs of the regions
   * it touches, in one transaction: readers see all of the file or none of it.
   */
  async load(guides: Map<string, OfficialGuide>): Promise<{ items: number; regions: Region[] }> {
    const regions = [...new Set([...guides.keys()].map(regionOfItemCode))];
    const transaction = this.redis.multi().hset(GUIDES_KEY, Object.fromEntries([...guides].map(([code, guide]) => [code, JSON.stringify(guide)])));
    for (const region of regions) transaction.incr(catalogGenerationKey(region));
    await transaction.exec();
    return { items: guides.size, regions };
  }

  /** One round trip for any number of codes. */
  async get(codes: readonly string[]): Promise<(OfficialGuide | null)[]> {
    if (codes.length === 0) return [];
    const stored = await this.redis.hmget(GUIDES_KEY, ...codes);
    return stored.map((value) => (value === null ? null : (JSON.parse(value) as OfficialGuide)));
  }
}

/** The catalog as tongban serves it: the platform's items, with any loaded official guide in place of sample values. */
export function withOfficialGuides(port: PlatformPort, guides: OfficialGuideStore): PlatformPort {
  const overlay = async (items: (CatalogItem | null)[]): Promise<(CatalogItem | null)[]> => {
    const present = items.filter((item): item is CatalogItem => item !== null);
    const found = new Map(present.map((item, i) => [item.code, i]));
    const loaded = await guides.get(present.map((item) => item.code));
    return items.map((item) => {
      const guide = item && loaded[found.get(item.code)!];
      if (!item || !guide) return item;
      const { source, ...limitsAndMaterials } = guide;
      return { ...item, ...limitsAndMaterials, sampleData: false, guideSource: source };
    });
  };
  return {
    region: port.region,
    getItemsByCodes: async (codes) => overlay(await port.getItemsByCodes(codes)),
    searchItems: async (query) => {
      const page = await port.searchItems(query);
      return { ...page, items: (await overlay(page.items)) as CatalogItem[] };
    },
    submitCase: (request) => port.submitCase(request),
    getCasesByIds: (ids) => port.getCasesByIds(ids),
    uploadFile: (upload) => port.uploadFile(upload),
    downloadFile: (fileId) => port.downloadFile(fileId),
  };
}

export function guidedPlatforms(platforms: Record<Region, PlatformPort>, redis: Redis): Record<Region, PlatformPort> {
  const guides = new OfficialGuideStore(redis);
  return { CHONGQING: withOfficialGuides(platforms.CHONGQING, guides), SICHUAN: withOfficialGuides(platforms.SICHUAN, guides) };
}
