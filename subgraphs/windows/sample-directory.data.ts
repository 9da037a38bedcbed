import type { OfficeHours } from '../../domain/hours/index.js';
import type { WindowRecord } from './window.model.js';

/**
 * Sample 通办 window directory. Halls and division codes are real; contact
 * people, phones, e-mails and street numbers are invented (sampleData: true)
 * until the regions hand over their official 联络清单.
 */
const WEEKDAY: OfficeHours['mon'] = [
  ['09:00', '12:00'],
  ['13:00', '17:00'],
];
const HALL_HOURS: OfficeHours = { mon: WEEKDAY, tue: WEEKDAY, wed: WEEKDAY, thu: WEEKDAY, fri: WEEKDAY, sat: [], sun: [] };

/** 阿坝州's hall keeps a longer midday break. */
const ABA_WEEKDAY: OfficeHours['mon'] = [
  ['09:00', '12:00'],
  ['14:00', '17:30'],
];
const ABA_HOURS: OfficeHours = { mon: ABA_WEEKDAY, tue: ABA_WEEKDAY, wed: ABA_WEEKDAY, thu: ABA_WEEKDAY, fri: ABA_WEEKDAY, sat: [], sun: [] };

const BOTH = ['RECEIVING', 'JURISDICTION'] as WindowRecord['roles'];

export const SAMPLE_WINDOWS: WindowRecord[] = [
  {
    id: 'W-500000-01',
    name: '重庆市政务服务中心川渝通办窗口',
    region: 'CHONGQING',
    divisionCode: '500000',
    hall: '重庆市政务服务中心',
    address: '重庆市渝北区青枫北路1号（示例）',
    contact: { person: '张敏（示例）', phone: '023-60000001', email: 'cytb.cq@example.gov.cn', mailingAddress: '重庆市渝北区青枫北路1号 川渝通办窗口', postcode: '401147' },
    hours: HALL_HOURS,
    roles: BOTH,
    scopes: ['SICHUAN_CHONGQING', 'CROSS_DISTRICT'],
    departments: [],
    active: true,
    sampleData: true,
  },
  {
    id: 'W-500101-01',
    name: '万州区政务服务中心跨区县通办窗口',
    region: 'CHONGQING',
    divisionCode: '500101',
    hall: '万州区政务服务中心',
    address: '重庆市万州区北滨大道二段1号（示例）',
    contact: { person: '李静（示例）', phone: '023-58000002', email: 'tb.wanzhou@example.gov.cn', mailingAddress: '重庆市万州区北滨大道二段1号', postcode: '404100' },
    hours: HALL_HOURS,
    roles: BOTH,
    scopes: ['SICHUAN_CHONGQING', 'CROSS_DISTRICT'],
    departments: [],
    active: true,
    sampleData: true,
  },
  {
    id: 'W-500103-01',
    name: '渝中区政务服务中心跨区县通办窗口',
    region: 'CHONGQING',
    divisionCode: '500103',
    hall: '渝中区政务服务中心',
    address: '重庆市渝中区人民路1号（示例）',
    contact: { person: '王芳（示例）', phone: '023-63000003', email: 'tb.yuzhong@example.gov.cn', mailingAddress: '重庆市渝中区人民路1号', postcode: '400015' },
    hours: HALL_HOURS,
    roles: BOTH,
    scopes: ['SICHUAN_CHONGQING', 'CROSS_DISTRICT'],
    departments: [],
    active: true,
    sampleData: true,
  },
  {
    id: 'W-510000-01',
    name: '四川省政务服务中心川渝通办窗口',
    region: 'SICHUAN',
    divisionCode: '510000',
    hall: '四川省政务服务和公共资源交易服务中心',
    address: '四川省成都市武侯区天府大道北段1号（示例）',
    contact: { person: '陈刚（示例）', phone: '028-86000004', email: 'cytb.sc@example.gov.cn', mailingAddress: '四川省成都市武侯区天府大道北段1号 川渝通办窗口', postcode: '610041' },
    hours: HALL_HOURS,
    roles: BOTH,
    scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE'],
    departments: [],
    active: true,
    sampleData: true,
  },
  {
    id: 'W-510100-01',
    name: '成都市政务服务中心通办窗口',
    region: 'SICHUAN',
    divisionCode: '510100',
    hall: '成都市政务服务中心',
    address: '四川省成都市高新区锦城大道1号（示例）',
    contact: { person: '刘洋（示例）', phone: '028-61000005', email: 'tb.chengdu@example.gov.cn', mailingAddress: '四川省成都市高新区锦城大道1号', postcode: '610041' },
    hours: HALL_HOURS,
    roles: BOTH,
    scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE'],
    departments: [],
    active: true,
    sampleData: true,
  },
  {
    id: 'W-513200-01',
    name: '阿坝州政务服务中心一窗受理窗口',
    region: 'SICHUAN',
    divisionCode: '513200',
    hall: '阿坝藏族羌族自治州政务服务中心',
    address: '四川省阿坝州马尔康市达萨街1号（示例）',
    contact: { person: '杨卓玛（示例）', phone: '0837-2800006', email: 'tb.aba@example.gov.cn', mailingAddress: '四川省阿坝州马尔康市达萨街1号', postcode: '624000' },
    hours: ABA_HOURS,
    roles: BOTH,
    scopes: ['IN_PROVINCE', 'SICHUAN_CHONGQING'],
    departments: [],
    active: true,
    sampleData: true,
  },
  {
    id: 'W-511600-01',
    name: '广安市政务服务中心川渝通办窗口',
    region: 'SICHUAN',
    divisionCode: '511600',
    hall: '广安市政务服务中心',
    address: '四川省广安市广安区金安大道1号（示例）',
    contact: { person: '周磊（示例）', phone: '0826-2300007', email: 'cytb.guangan@example.gov.cn', mailingAddress: '四川省广安市广安区金安大道1号', postcode: '638000' },
    hours: HALL_HOURS,
    roles: BOTH,
    scopes: ['SICHUAN_CHONGQING', 'IN_PROVINCE'],
    departments: [],
    active: true,
    sampleData: true,
  },
];
