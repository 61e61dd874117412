/**
 * Turns text input into a string the way browsers and pandoc do: a byte-order
 * mark wins; HTML may name its encoding in `<meta charset>`, an http-equiv
 * Content-Type or an XML declaration; otherwise UTF-8, and input that is not
 * valid UTF-8 is read as Windows-1252 (pandoc's Latin-1 fallback, with the
 * 0x80–0x9F punctuation Windows writers use) with a warning rather than refused.
 */

export interface DecodedText {
  text: string
  /** The WHATWG encoding name used. */
  encoding: string
  warnings: string[]
}

/** How far into an HTML document a charset declaration is looked for (the HTML standard prescans 1024 bytes). */
export const CHARSET_PRESCAN_BYTES = 1024

const BOMS: { bytes: number[]; encoding: string }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
]

const META_CHARSET = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i
const XML_ENCODING = /^<\?xml\s[^>]*?encoding\s*=\s*["']([\w.:-]+)["']/

export function bomEncoding(bytes: Uint8Array): string | undefined {
  return BOMS.find((b) => b.bytes.every((v, i) => bytes[i] === v))?.encoding
}

/** The encoding an HTML document declares in its head, if TextDecoder knows it. */
export function declaredHtmlEncoding(bytes: Uint8Array): string | undefined {
  // Latin-1 maps every byte to one char, so the ASCII declaration reads the same whatever the real encoding.
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, CHARSET_PRESCAN_BYTES))
  const label = META_CHARSET.exec(head)?.[1] ?? XML_ENCODING.exec(head.trimStart())?.[1]
  if (label === undefined) return undefined
  try {
    const encoding = new TextDecoder(label).encoding
    // A document that reached us as bytes cannot be UTF-16 without a BOM; browsers read such a declaration as UTF-8.
    return encoding.startsWith('utf-16') ? 'utf-8' : encoding
  } catch {
    return undefined
  }
}

export function decodeText(bytes: Uint8Array, opts: { html: boolean }): DecodedText {
  const bom = bomEncoding(bytes)
  if (bom !== undefined) return { text: new TextDecoder(bom).decode(bytes), encoding: bom, warnings: [] }
  const declared = opts.html ? declaredHtmlEncoding(bytes) : undefined
  if (declared !== undefined && declared !== 'utf-8') {
    return { text: new TextDecoder(declared).decode(bytes), encoding: declared, warnings: [] }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8', warnings: [] }
  } catch {
    const why = declared === 'utf-8' ? 'declares UTF-8 but is not valid UTF-8' : 'is not valid UTF-8'
    return {
      text: new TextDecoder('windows-1252').decode(bytes),
      encoding: 'windows-1252',
      warnings: [`input ${why}; read as Windows-1252 (Latin-1)`],
    }
  }
}
