/**
 * The MIME declarations of a raw message, read from its structure: the
 * charsets that header fields and Content-Type parameters actually declare,
 * and the multipart boundaries that are never closed. Only header blocks are
 * read (the message's own and those of its parts, recursively), so text that
 * merely looks like a declaration (a quoted-printable `charset=3Dutf-8` in an
 * HTML body, an `X-Spam-*` report quoting a rule) declares nothing.
 */

/** Nesting is bounded so that a crafted message cannot recurse without end. */
export const MAX_MIME_DEPTH = 32
/** Parts looked at in all, for the same reason. */
export const MAX_MIME_PARTS = 4096

export interface MimeDeclarations {
  /** Lowercased charsets, first-seen order, each once. */
  charsets: string[]
  /** Boundaries of multipart entities whose close delimiter never comes. */
  unclosedBoundaries: string[]
}

// RFC 2047 encoded word; the charset may carry an RFC 2231 language suffix (`utf-8*en`).
const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?\s]*)?\?[bq]\?[^?\s]*\?=/gi
// A Content-Type parameter, after the `;` that separates it; RFC 2231 `charset*=utf-8''…` included.
const PARAM = /;\s*([a-z0-9!#$&+.^_`{|}~-]+?)(\*)?\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/gi

interface Entity {
  headers: { name: string; value: string }[]
  body: string
}

/** Splits one entity (latin1 text) into unfolded header fields and body. */
function splitEntity(text: string): Entity {
  const m = /\r?\n\r?\n/.exec(text)
  const head = m === null ? text : text.slice(0, m.index)
  const body = m === null ? '' : text.slice(m.index + m[0].length)
  const headers: Entity['headers'] = []
  for (const line of head.split(/\r?\n/)) {
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      const last = headers[headers.length - 1] as Entity['headers'][number]
      last.value += ` ${line.trim()}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() })
  }
  return { headers, body }
}

function contentTypeParams(value: string): { type: string; params: Map<string, string> } {
  const semi = value.indexOf(';')
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase()
  const params = new Map<string, string>()
  for (const m of value.matchAll(PARAM)) {
    const name = (m[1] as string).toLowerCase()
    let v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '')
    // RFC 2231 extended value: charset'language'percent-encoded-text; for `charset*` the text is the charset.
    if (m[2] !== undefined) v = decodeURIComponentSafe(v.slice(v.lastIndexOf("'") + 1))
    if (!params.has(name)) params.set(name, v)
  }
  return { type, params }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Reads the declarations of a whole message given as a latin1 string (one char per byte). */
export function mimeDeclarations(raw: string): MimeDeclarations {
  const charsets = new Set<string>()
  const unclosed: string[] = []
  let parts = 0
  const visit = (text: string, depth: number): void => {
    if (depth > MAX_MIME_DEPTH || ++parts > MAX_MIME_PARTS) return
    const { headers, body } = splitEntity(text)
    let contentType = ''
    let encoding = ''
    for (const { name, value } of headers) {
      for (const m of value.matchAll(ENCODED_WORD)) charsets.add((m[1] as string).toLowerCase())
      if (name === 'content-type' && contentType === '') contentType = value
      if (name === 'content-transfer-encoding') encoding = value.trim().toLowerCase()
    }
    if (contentType === '') return
    const { type, params } = contentTypeParams(contentType)
    const charset = params.get('charset')
    if (charset !== undefined && charset !== '') charsets.add(charset.toLowerCase())
    const boundary = params.get('boundary')
    if (type.startsWith('multipart/') && boundary !== undefined && boundary !== '') {
      const delimiter = `--${boundary}`
      const lines = body.split(/\r?\n/)
      let current: string[] | undefined
      let closed = false
      for (const line of lines) {
        const trimmed = line.trimEnd()
        if (trimmed === `${delimiter}--`) {
          if (current !== undefined) visit(current.join('\n'), depth + 1)
          current = undefined
          closed = true
          break
        }
        if (trimmed === delimiter) {
          if (current !== undefined) visit(current.join('\n'), depth + 1)
          current = []
        } else current?.push(line)
      }
      if (current !== undefined) visit(current.join('\n'), depth + 1)
      if (!closed) unclosed.push(boundary)
    } else if (type === 'message/rfc822' && (encoding === '' || /^(7bit|8bit|binary)$/.test(encoding))) {
      visit(body, depth + 1)
    }
  }
  visit(raw, 0)
  return { charsets: [...charsets], unclosedBoundaries: unclosed }
}
