import { readFile } from 'node:fs/promises';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';

type FontkitFont = ReturnType<typeof fontkit.create>;

/** The parts of @pdf-lib/fontkit's CFFSubset (not in its types) that the repairs below touch. */
interface CffSubset {
  font: { getGlyph(gid: number): { path: unknown; _usedSubrs: Record<string, true> } };
  glyphs: number[];
  cff?: { length: number; fdForGlyph(gid: number): number | null; topDict: { FDArray: FontDict[] } };
  subsetSubrs(subrs: unknown[], used: Record<string, true>): unknown[];
  subsetFontdict?(topDict: TopDict): void;
}
interface FontDict {
  FontName?: unknown;
  Private?: { Subrs?: unknown[] } | null;
}
interface TopDict {
  FDArray: FontDict[];
  FDSelect: { version: 0; fds: number[] };
}

const fontFiles = new Map<string, Promise<Uint8Array | null>>();

/** The font's bytes, read once per process: a CJK collection is some 20 MB. */
function fontBytes(path: string): Promise<Uint8Array | null> {
  let bytes = fontFiles.get(path);
  if (!bytes) {
    bytes = readFile(path).then(
      (buffer) => new Uint8Array(buffer),
      () => null,
    );
    fontFiles.set(path, bytes);
  }
  return bytes;
}

/**
 * A CJK face embedded in `doc` as a subset of the glyphs drawn, or null when the
 * file is missing, is not a font, or has no face of that PostScript name (from
 * a collection such as NotoSansCJK-Regular.ttc, one face is picked by name).
 */
export async function embedCjkFont(doc: PDFDocument, path: string, face: string): Promise<PDFFont | null> {
  const bytes = await fontBytes(path);
  if (!bytes) return null;
  let font: FontkitFont | null;
  try {
    const parsed = fontkit.create(bytes) as FontkitFont & { fonts?: FontkitFont[] };
    font = parsed.fonts ? (parsed.fonts.find((f) => f.postscriptName === face) ?? null) : parsed;
  } catch {
    // Not a font fontkit can read: the caller goes on without Chinese rather than not at all.
    return null;
  }
  if (!font) return null;
  doc.registerFontkit({ create: () => withRepairedCffSubsets(font) });
  return doc.embedFont(bytes, { subset: true });
}

/**
 * @pdf-lib/fontkit 1.1.1 (a fork of fontkit 1.7) writes broken subsets of
 * CID-keyed CFF fonts such as Noto Sans CJK, both fixed upstream since:
 * - the header's offset size is the CFF table's length, outside 1–4, and
 *   FreeType (Chromium's and poppler's viewers) rejects the whole font: every
 *   glyph blank;
 * - each glyph's font dict is the one last added rather than its own, and its
 *   local subroutines are kept in that dict's list, so glyphs of a dict met
 *   earlier draw with another dict's subroutines or with ones blanked out.
 * The subset reads the header field from `cff.length`, and subsetFontdict is
 * the method with the second fault: both are replaced on each subset made.
 */
function withRepairedCffSubsets(font: FontkitFont): FontkitFont {
  const createSubset = font.createSubset.bind(font);
  font.createSubset = () => {
    const subset = createSubset() as unknown as CffSubset;
    if (subset.cff) {
      subset.cff = new Proxy(subset.cff, { get: (target, key) => (key === 'length' ? 4 : Reflect.get(target, key)) });
      subset.subsetFontdict = subsetFontdict;
    }
    return subset as unknown as ReturnType<typeof createSubset>;
  };
  return font;
}

function subsetFontdict(this: CffSubset, topDict: TopDict): void {
  const cff = this.cff!;
  topDict.FDArray = [];
  topDict.FDSelect = { version: 0, fds: [] };
  const subsetIndex = new Map<number, number>();
  const usedSubrs: Record<string, true>[] = [];
  for (const gid of this.glyphs) {
    const fd = cff.fdForGlyph(gid);
    if (fd == null) continue;
    let index = subsetIndex.get(fd);
    if (index === undefined) {
      index = topDict.FDArray.push({ ...cff.topDict.FDArray[fd] }) - 1;
      subsetIndex.set(fd, index);
      usedSubrs.push({});
    }
    topDict.FDSelect.fds.push(index);
    const glyph = this.font.getGlyph(gid);
    // Reading the path parses the charstring, which records the subroutines it calls.
    void glyph.path;
    Object.assign(usedSubrs[index]!, glyph._usedSubrs);
  }
  topDict.FDArray.forEach((dict, i) => {
    delete dict.FontName;
    if (dict.Private?.Subrs) dict.Private = { ...dict.Private, Subrs: this.subsetSubrs(dict.Private.Subrs, usedSubrs[i]!) };
  });
}
