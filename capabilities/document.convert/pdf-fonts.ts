/**
 * Which fonts the PDF writer embeds, and which characters they cannot draw. pdfkit's standard Helvetica/Courier
 * only encode Windows-1252; DejaVu (Debian `fonts-dejavu-core`) covers Latin, Greek and Cyrillic; Noto Sans CJK
 * (Debian `fonts-noto-cjk`) covers Chinese, Japanese and Korean as well as Latin. Both are optional: the set that
 * can draw the most of the document's characters wins, and the characters no font draws are reported, because
 * the reader would otherwise see empty boxes with no word of why.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { openSync } from 'fontkit'

export const FONT_ROLES = ['regular', 'bold', 'italic', 'boldItalic', 'mono'] as const
export type FontRole = (typeof FONT_ROLES)[number]

/** A font as pdfkit's `doc.font(src, family)` takes it: a standard font name or a file, and a face in a collection. */
export interface FontFace {
  src: string
  family?: string
}

export interface FontSet {
  name: 'standard' | 'dejavu' | 'noto-cjk'
  faces: Record<FontRole, FontFace>
}

const STANDARD: FontSet = {
  name: 'standard',
  faces: {
    regular: { src: 'Helvetica' },
    bold: { src: 'Helvetica-Bold' },
    italic: { src: 'Helvetica-Oblique' },
    boldItalic: { src: 'Helvetica-BoldOblique' },
    mono: { src: 'Courier' },
  },
}

const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu'
const DEJAVU: FontSet = {
  name: 'dejavu',
  faces: {
    regular: { src: `${DEJAVU_DIR}/DejaVuSans.ttf` },
    bold: { src: `${DEJAVU_DIR}/DejaVuSans-Bold.ttf` },
    italic: { src: `${DEJAVU_DIR}/DejaVuSans-Oblique.ttf` },
    boldItalic: { src: `${DEJAVU_DIR}/DejaVuSans-BoldOblique.ttf` },
    mono: { src: `${DEJAVU_DIR}/DejaVuSansMono.ttf` },
  },
}

/** Where distributions install Noto Sans CJK (Debian/Ubuntu, Fedora, Arch); fc-list is asked when none is there. */
const NOTO_CJK_DIRS = ['/usr/share/fonts/opentype/noto', '/usr/share/fonts/google-noto-cjk', '/usr/share/fonts/noto-cjk']
const NOTO_CJK_REGULAR = 'NotoSansCJK-Regular.ttc'
const NOTO_CJK_BOLD = 'NotoSansCJK-Bold.ttc'

// Windows-1252 beyond Latin-1: what the standard 14 fonts can encode in 0x80–0x9F.
const CP1252_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'
export const NOT_CP1252 = new RegExp(`[^\\n\\t\\x20-\\x7e\\xa0-\\xff${CP1252_EXTRA}]`, 'gu')
const CP1252_ONLY = new RegExp(`^[\\n\\t\\x20-\\x7e\\xa0-\\xff${CP1252_EXTRA}]$`, 'u')

/** Characters that draw nothing (controls, zero-width joiners and marks, variation selectors), so need no glyph. */
const INVISIBLE = /^(\p{Cc}|\p{Cf}|\p{Variation_Selector})$/u
const KANA = /[\u3040-\u30ff]/u
const HANGUL = /[\u1100-\u11ff\uac00-\ud7af]/u
const CJK = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u

let notoCjkDir: string | null | undefined

function findNotoCjk(): string | null {
  if (notoCjkDir !== undefined) return notoCjkDir
  notoCjkDir = NOTO_CJK_DIRS.find((d) => existsSync(`${d}/${NOTO_CJK_REGULAR}`) && existsSync(`${d}/${NOTO_CJK_BOLD}`)) ?? null
  if (notoCjkDir === null) {
    const listed = spawnSync('fc-list', ['-f', '%{file}\\n', 'Noto Sans CJK SC'], { encoding: 'utf8', timeout: 5000 })
    const file = (listed.stdout ?? '').split('\n').find((f) => f.endsWith(`/${NOTO_CJK_REGULAR}`))
    const dir = file?.slice(0, -NOTO_CJK_REGULAR.length - 1)
    if (dir !== undefined && existsSync(`${dir}/${NOTO_CJK_BOLD}`)) notoCjkDir = dir
  }
  return notoCjkDir
}

/** Noto CJK in the regional style the text asks for: Japanese with kana, Korean with hangul, else Simplified Chinese. */
function notoCjk(dir: string, text: string): FontSet {
  const region = KANA.test(text) ? 'jp' : HANGUL.test(text) ? 'kr' : 'sc'
  const face = (file: string, name: string): FontFace => ({ src: `${dir}/${file}`, family: name })
  const regular = face(NOTO_CJK_REGULAR, `NotoSansCJK${region}-Regular`)
  const bold = face(NOTO_CJK_BOLD, `NotoSansCJK${region}-Bold`)
  // Noto CJK has no italic; its regular and bold stand in.
  return {
    name: 'noto-cjk',
    faces: { regular, bold, italic: regular, boldItalic: bold, mono: face(NOTO_CJK_REGULAR, `NotoSansMonoCJK${region}-Regular`) },
  }
}

const opened = new Map<string, ReturnType<typeof openSync>>()

function hasGlyph(face: FontFace, codePoint: number): boolean {
  if (!face.src.startsWith('/')) return CP1252_ONLY.test(String.fromCodePoint(codePoint))
  const key = `${face.src}#${face.family ?? ''}`
  let font = opened.get(key)
  if (font === undefined) {
    font = openSync(face.src, face.family)
    opened.set(key, font)
  }
  return font.hasGlyphForCodePoint(codePoint)
}

function missingIn(set: FontSet, used: Map<FontRole, Set<number>>): Set<number> {
  const missing = new Set<number>()
  for (const [role, codePoints] of used) {
    for (const cp of codePoints) if (!hasGlyph(set.faces[role], cp)) missing.add(cp)
  }
  return missing
}

export interface FontChoice {
  fonts: FontSet
  /** Characters none of the chosen fonts can draw, in order of first use. */
  missing: string[]
  warnings: string[]
}

/** Picks the installed font set that draws the most of the characters each role is used for (the earliest on a tie). */
export function chooseFonts(used: Map<FontRole, string>): FontChoice {
  const codePoints = new Map<FontRole, Set<number>>()
  let all = ''
  for (const [role, text] of used) {
    all += text
    const set = new Set<number>()
    for (const ch of text) if (!INVISIBLE.test(ch) && ch !== ' ') set.add(ch.codePointAt(0) as number)
    codePoints.set(role, set)
  }
  const candidates: FontSet[] = [STANDARD]
  if (Object.values(DEJAVU.faces).every((f) => existsSync(f.src))) candidates.push(DEJAVU)
  const cjkDir = CJK.test(all) ? findNotoCjk() : null
  if (cjkDir !== null) candidates.push(notoCjk(cjkDir, all))
  let best = { fonts: STANDARD, missing: missingIn(STANDARD, codePoints) }
  for (const fonts of candidates.slice(1)) {
    if (best.missing.size === 0) break
    const missing = missingIn(fonts, codePoints)
    if (missing.size < best.missing.size) best = { fonts, missing }
  }
  const missing = [...best.missing].map((cp) => String.fromCodePoint(cp))
  const warnings: string[] = []
  if (missing.length > 0) {
    const shown = missing.slice(0, 8).map((c) => `${c} U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`)
    const hints = [
      ...(best.fonts.name === 'standard' ? ['fonts-dejavu-core'] : []),
      ...(missing.some((c) => CJK.test(c)) && cjkDir === null ? ['fonts-noto-cjk'] : []),
    ]
    warnings.push(
      `pdf: ${missing.length} distinct characters have no glyph in the fonts available (${shown.join(', ')}${missing.length > 8 ? ', …' : ''})` +
        (best.fonts.name === 'standard' ? ' and were replaced by "?"' : ' and show as empty boxes') +
        (hints.length > 0 ? `; installing ${hints.join(' and ')} would draw more of them` : ''),
    )
  }
  return { fonts: best.fonts, missing, warnings }
}
