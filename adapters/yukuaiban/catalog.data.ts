/**
 * 渝快办 catalog as published, before anything is generated.
 *
 * Items 1–126: 《重庆市第三批“跨区县通办”高频政务服务事项清单》 (渝府办发〔2021〕32号, seed 001).
 * The extracted table glues serial numbers and names together ("1011 社会团体变更登记 社会团体注销登记")
 * and prints each 责任单位 once in the middle of its merged cell, so the serials and the
 * department blocks below were rebuilt by hand: a department applies to the contiguous block
 * around its printed name, and the block boundaries were checked against what each item is
 * (教育, 公安, 民政 …). The notice says 126 items from 23 departments; both counts are asserted
 * in the unit tests.
 *
 * Item 127: 水利工程质量检测单位乙级资质认定, the 川渝通办 item of 重庆市水利局 (seed 000).
 *
 * Names keep the notice's wording with extraction spaces removed; the one change is
 * item 122's doubled "的的", a typo that would otherwise be printed on every notice.
 * `legalName` is set only where the published name is a sub-case or variant of a
 * statutory item (e.g. 危险化学品经营许可首次申请（无储存） → 危险化学品经营许可); it is our
 * reading, not a published field. `powerType` is set only where the name-based inference
 * in yukuaiban.catalog.ts would be wrong.
 */
import type { Scope } from '../platform.port.js';

/** 责任单位 as the notice abbreviates them → the department's full name (2021). */
export const DEPARTMENTS = {
  市教委: '重庆市教育委员会',
  市公安局: '重庆市公安局',
  市民政局: '重庆市民政局',
  市司法局: '重庆市司法局',
  市人力社保局: '重庆市人力资源和社会保障局',
  市规划自然资源局: '重庆市规划和自然资源局',
  市生态环境局: '重庆市生态环境局',
  市住房城乡建委: '重庆市住房和城乡建设委员会',
  市城市管理局: '重庆市城市管理局',
  市交通局: '重庆市交通局',
  市水利局: '重庆市水利局',
  市农业农村委: '重庆市农业农村委员会',
  市卫生健康委: '重庆市卫生健康委员会',
  市应急局: '重庆市应急管理局',
  市市场监管局: '重庆市市场监督管理局',
  市金融监管局: '重庆市地方金融监督管理局',
  市能源局: '重庆市能源局',
  市林业局: '重庆市林业局',
  市知识产权局: '重庆市知识产权局',
  重庆市国安局: '重庆市国家安全局',
  市气象局: '重庆市气象局',
  市地震局: '重庆市地震局',
  市新闻出版局: '重庆市新闻出版局',
} as const;

export type DepartmentAbbreviation = keyof typeof DEPARTMENTS;

export interface SeedItem {
  serial: number;
  name: string;
  department: DepartmentAbbreviation;
  legalName?: string;
  powerType?: string;
  scopes?: Scope[];
}

export const SEED_ITEMS: readonly SeedItem[] = [
  { serial: 1, name: '中小学生学籍管理', department: '市教委' },
  { serial: 2, name: '实施专科教育的民办高等学校的终止审批', department: '市教委' },
  { serial: 3, name: '民办学校招生简章和广告备案', department: '市教委' },
  { serial: 4, name: '实施专科教育的民办高等学校的设立审批', department: '市教委' },
  { serial: 5, name: '高中阶段学历教育学校的设立审批', department: '市教委' },
  { serial: 6, name: '保安服务公司设立许可', department: '市公安局' },
  { serial: 7, name: '申请设立保安培训单位许可', department: '市公安局', legalName: '保安培训单位设立许可' },
  { serial: 8, name: '社会团体成立登记', department: '市民政局' },
  { serial: 9, name: '民办非企业单位变更登记', department: '市民政局' },
  { serial: 10, name: '社会团体变更登记', department: '市民政局' },
  { serial: 11, name: '社会团体注销登记', department: '市民政局' },
  { serial: 12, name: '民办非企业单位注销登记', department: '市民政局' },
  { serial: 13, name: '民办非企业单位成立登记', department: '市民政局' },
  { serial: 14, name: '变更司法鉴定机构法定代表或机构负责人', department: '市司法局' },
  { serial: 15, name: '增加司法鉴定机构业务范围', department: '市司法局' },
  { serial: 16, name: '律师事务所分所设立许可', department: '市司法局' },
  { serial: 17, name: '律师事务所变更名称许可', department: '市司法局' },
  { serial: 18, name: '律师事务所设立许可', department: '市司法局' },
  { serial: 19, name: '律师事务所变更章程、合伙协议许可', department: '市司法局' },
  { serial: 20, name: '变更司法鉴定机构名称', department: '市司法局' },
  { serial: 21, name: '司法鉴定机构设立', department: '市司法局' },
  { serial: 22, name: '台湾居民申请在大陆从事律师职业许可', department: '市司法局' },
  { serial: 23, name: '司法鉴定人增加执业类别', department: '市司法局' },
  { serial: 24, name: '司法鉴定机构延续审核', department: '市司法局' },
  { serial: 25, name: '司法鉴定人变更执业机构', department: '市司法局' },
  { serial: 26, name: '律师事务所变更负责人许可', department: '市司法局' },
  { serial: 27, name: '司法鉴定人登记', department: '市司法局' },
  { serial: 28, name: '律师事务所变更组织形式许可', department: '市司法局' },
  { serial: 29, name: '律师事务所（分所）注销许可', department: '市司法局' },
  { serial: 30, name: '司法鉴定人延续审核登记', department: '市司法局' },
  { serial: 31, name: '企业年金方案重要条款变更备案', department: '市人力社保局' },
  { serial: 32, name: '企业年金方案备案', department: '市人力社保局' },
  { serial: 33, name: '建设项目压覆重要矿床（矿产资源）审批', department: '市规划自然资源局' },
  { serial: 34, name: '新设探矿权登记', department: '市规划自然资源局' },
  { serial: 35, name: '新设采矿权登记', department: '市规划自然资源局' },
  { serial: 36, name: '探矿权延续登记', department: '市规划自然资源局' },
  { serial: 37, name: '探矿权变更登记', department: '市规划自然资源局' },
  { serial: 38, name: '建设用地规划许可证核发', department: '市规划自然资源局' },
  { serial: 39, name: '建设项目选址意见书核发', department: '市规划自然资源局' },
  { serial: 40, name: '乡村建设规划许可证核发——非农村村民住宅', department: '市规划自然资源局', legalName: '乡村建设规划许可证核发' },
  { serial: 41, name: '地图审核审批', department: '市规划自然资源局' },
  { serial: 42, name: '矿产资源储量评审备案', department: '市规划自然资源局' },
  { serial: 43, name: '采矿权注销登记', department: '市规划自然资源局' },
  { serial: 44, name: '探矿权注销登记', department: '市规划自然资源局' },
  { serial: 45, name: '从事测绘活动的单位乙级、丙级、丁级测绘资质审批', department: '市规划自然资源局' },
  { serial: 46, name: '矿山地质环境保护与治理恢复方案审批', department: '市规划自然资源局' },
  { serial: 47, name: '采矿权变更登记', department: '市规划自然资源局' },
  { serial: 48, name: '采矿权延续登记', department: '市规划自然资源局' },
  { serial: 49, name: '探矿权保留登记', department: '市规划自然资源局' },
  { serial: 50, name: '建设工程（含临时建设）规划许可证核发', department: '市规划自然资源局' },
  { serial: 51, name: '申请辐射安全许可证延续', department: '市生态环境局', legalName: '辐射安全许可证延续' },
  { serial: 52, name: '建设项目环境影响后评价备案', department: '市生态环境局' },
  { serial: 53, name: '射线装置、放射源或者非密封放射性物质豁免备案证明', department: '市生态环境局' },
  { serial: 54, name: '建设项目环境影响评价审批', department: '市生态环境局' },
  { serial: 55, name: '新申请及重新申请辐射安全许可证', department: '市生态环境局', legalName: '辐射安全许可证核发' },
  { serial: 56, name: '建筑施工特种作业人员操作资格考核', department: '市住房城乡建委' },
  { serial: 57, name: '施工单位主要负责人、项目负责人、专职安全生产管理人员安全生产考核', department: '市住房城乡建委' },
  { serial: 58, name: '从事生活垃圾经营性清扫、收集、运输、处理服务审批', department: '市城市管理局' },
  { serial: 59, name: '由于工程施工、设备维修等原因确需停止供水的审批', department: '市城市管理局' },
  { serial: 60, name: '供水工程建设方案审查', department: '市城市管理局' },
  { serial: 61, name: '中心城区巡游出租汽车经营权证许可（转让）', department: '市交通局', legalName: '中心城区巡游出租汽车经营权证许可' },
  { serial: 62, name: '省际班车客运线路新增', department: '市交通局' },
  { serial: 63, name: '县际班车客运线路新增', department: '市交通局' },
  { serial: 64, name: '省际、县际包车客运业户增项', department: '市交通局' },
  { serial: 65, name: '省际、县际包车运力新增经营', department: '市交通局' },
  { serial: 66, name: '公路工程监理丙级企业资质评定', department: '市交通局' },
  { serial: 67, name: '省际、县际包车客运业户开业', department: '市交通局' },
  { serial: 68, name: '公路工程建设项目设计文件审批——设计变更', department: '市交通局', legalName: '公路工程建设项目设计文件审批' },
  { serial: 69, name: '客运驾驶员从业资格认定', department: '市交通局' },
  { serial: 70, name: '危险货运驾驶员从业资格认定', department: '市交通局' },
  { serial: 71, name: '普通货运驾驶员从业资格认定', department: '市交通局' },
  { serial: 72, name: '公路工程建设项目设计文件审批——施工图设计', department: '市交通局', legalName: '公路工程建设项目设计文件审批' },
  { serial: 73, name: '工程质量监督手续办理', department: '市水利局', powerType: '其他行政权力' },
  { serial: 74, name: '水利基建项目初步设计文件审批', department: '市水利局' },
  { serial: 75, name: '水利水电工程可行性研究报告（或项目申请报告）技术审查', department: '市水利局', powerType: '其他行政权力' },
  { serial: 76, name: '大中型水电工程移民安置规划审核', department: '市水利局' },
  { serial: 77, name: '对大中型水利水电工程移民安置工作进行验收', department: '市水利局', powerType: '其他行政权力' },
  { serial: 78, name: '兽药生产许可证核发', department: '市农业农村委' },
  { serial: 79, name: '农业转基因生物加工审批', department: '市农业农村委' },
  { serial: 80, name: '非主要农作物品种登记初审', department: '市农业农村委', powerType: '其他行政权力' },
  { serial: 81, name: '兽药经营许可证核发（生物制品类）', department: '市农业农村委', legalName: '兽药经营许可证核发' },
  { serial: 82, name: '省级及以下农产品质量安全检测机构考核（核发）', department: '市农业农村委', legalName: '省级及以下农产品质量安全检测机构考核' },
  { serial: 83, name: '省级及以下农产品质量安全检测机构考核（扩项/分场地）', department: '市农业农村委', legalName: '省级及以下农产品质量安全检测机构考核' },
  { serial: 84, name: '省级及以下农产品质量安全检测机构考核（变更）', department: '市农业农村委', legalName: '省级及以下农产品质量安全检测机构考核' },
  { serial: 85, name: '饲料、饲料添加剂生产企业设立审批', department: '市农业农村委' },
  { serial: 86, name: '有机无机复混肥、配方肥（不含叶面肥）、精制有机肥、床土调酸剂（正式登记）', department: '市农业农村委', legalName: '肥料登记' },
  { serial: 87, name: '主要农作物品种审定', department: '市农业农村委' },
  { serial: 88, name: '省级及以下农产品质量安全检测机构考核（复评审）', department: '市农业农村委', legalName: '省级及以下农产品质量安全检测机构考核' },
  { serial: 89, name: '执业兽医资格证书核发', department: '市农业农村委' },
  { serial: 90, name: '母婴保健服务人员资格认定（人员从事婚前医学检查、遗传病诊断、产前诊断技术服务、人工授精服务）', department: '市卫生健康委', legalName: '母婴保健服务人员资格认定' },
  { serial: 91, name: '医疗机构放射性职业病危害建设项目竣工验收', department: '市卫生健康委' },
  { serial: 92, name: '母婴保健技术服务机构执业许可（医疗机构从事遗传病诊断、产前诊断和婚前医学检查服务）', department: '市卫生健康委', legalName: '母婴保健技术服务机构执业许可' },
  { serial: 93, name: '母婴保健技术服务机构执业许可（医疗机构从事助产技术、节扎手术、终止妊娠手术和计划生育技术服务）', department: '市卫生健康委', legalName: '母婴保健技术服务机构执业许可' },
  { serial: 94, name: '放射源诊疗技术和医用辐射机构许可〔放射诊疗许可证变更（变更单位名称、负责人或地址）〕', department: '市卫生健康委', legalName: '放射源诊疗技术和医用辐射机构许可' },
  { serial: 95, name: '母婴保健服务人员资格认定（人员从事助产技术、节扎手术、终止妊娠手术服务）', department: '市卫生健康委', legalName: '母婴保健服务人员资格认定' },
  { serial: 96, name: '危险化学品生产、储存建设项目安全设施设计变更', department: '市应急局', legalName: '危险化学品生产、储存建设项目安全设施设计审查' },
  { serial: 97, name: '危险化学品经营许可变更申请', department: '市应急局', legalName: '危险化学品经营许可' },
  { serial: 98, name: '危险化学品经营许可首次申请（无储存）', department: '市应急局', legalName: '危险化学品经营许可' },
  { serial: 99, name: '危险化学品安全生产许可延期', department: '市应急局', legalName: '危险化学品安全生产许可' },
  { serial: 100, name: '危险化学品经营许可延期申请', department: '市应急局', legalName: '危险化学品经营许可' },
  { serial: 101, name: '危险化学品经营许可延期申请（无储存）', department: '市应急局', legalName: '危险化学品经营许可' },
  { serial: 102, name: '危险化学品安全生产许可变更', department: '市应急局', legalName: '危险化学品安全生产许可' },
  { serial: 103, name: '危险化学品经营许可首次申请', department: '市应急局', legalName: '危险化学品经营许可' },
  { serial: 104, name: '危险化学品生产、储存建设项目安全设施设计审查', department: '市应急局' },
  { serial: 105, name: '危险化学品经营许可变更申请（无储存）', department: '市应急局', legalName: '危险化学品经营许可' },
  { serial: 106, name: '危险化学品安全生产许可首次申请', department: '市应急局', legalName: '危险化学品安全生产许可' },
  { serial: 107, name: '特种设备检验检测', department: '市市场监管局' },
  { serial: 108, name: '强检计量器具检定', department: '市市场监管局' },
  { serial: 109, name: '对重庆市拟上市重点培育企业的评定', department: '市金融监管局', powerType: '公共服务' },
  { serial: 110, name: '火电站（含自备电站）项目审核（核报市政府）', department: '市能源局' },
  { serial: 111, name: '水电开发权出让备案', department: '市能源局' },
  { serial: 112, name: '从国外引进林木种子、苗木检疫审批', department: '市林业局' },
  { serial: 113, name: '使用低于国家或地方规定的种用标准的林木种子审批', department: '市林业局' },
  { serial: 114, name: '收购珍贵树木种子和限制收购林木种子批准', department: '市林业局' },
  { serial: 115, name: '林业植物检疫证书核发', department: '市林业局' },
  { serial: 116, name: '商标品牌培育', department: '市知识产权局' },
  { serial: 117, name: '建设项目涉及国家安全事项审查', department: '重庆市国安局' },
  { serial: 118, name: '雷电防护装置设计审核', department: '市气象局' },
  { serial: 119, name: '雷电防护装置竣工验收', department: '市气象局' },
  { serial: 120, name: '建设工程地震安全性评价结果的审定及抗震设防要求的确定', department: '市地震局' },
  { serial: 121, name: '一次性内部资料出版物准印证核发', department: '市新闻出版局' },
  { serial: 122, name: '从事出版物、1000万元以上（含）包装装潢印刷品企业的设立审批', department: '市新闻出版局' },
  { serial: 123, name: '出版物批发单位设立审批', department: '市新闻出版局' },
  { serial: 124, name: '出版物批发单位登记项目变更审批', department: '市新闻出版局' },
  { serial: 125, name: '连续性内部资料出版物准印证核发', department: '市新闻出版局' },
  { serial: 126, name: '从事出版物、1000万元以上（含）包装装潢印刷品企业登记项目变更审批', department: '市新闻出版局' },
  { serial: 127, name: '水利工程质量检测单位乙级资质认定', department: '市水利局', scopes: ['SICHUAN_CHONGQING'] },
];
