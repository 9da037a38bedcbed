/** Each part a name only: none may run past a lower level's marker or a number, so a street cannot pass for a city. */
const CITY_LEVEL = /^((?:[^\d省市县区路街道号]{2,7}?(?:省|自治区))?[^\d省市县区路街道号]{2,12}?(?:市|自治州|州|地区|盟))/;

/**
 * Province (or autonomous region) and city of a Chinese postal address, e.g.
 * `四川省成都市武侯区天府大道北段1号` → `四川省成都市`, `重庆市渝北区…` → `重庆市`,
 * `四川省阿坝州马尔康市…` → `四川省阿坝州`. Null when no city can be read: then
 * nothing of the address is shown.
 */
export function cityLevelAddress(address: string): string | null {
  return CITY_LEVEL.exec(address.replace(/\s+/g, ''))?.[1] ?? null;
}
