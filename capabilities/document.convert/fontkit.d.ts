/** The part of fontkit (pdfkit's font engine) that pdf-fonts.ts uses to check glyph coverage; it ships no types. */
declare module 'fontkit' {
  interface Font {
    postscriptName: string
    hasGlyphForCodePoint(codePoint: number): boolean
  }
  export function openSync(path: string, postscriptName?: string): Font
}
