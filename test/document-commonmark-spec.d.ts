// commonmark-spec ships its examples without types; this is the shape its index.js exports.
declare module 'commonmark-spec' {
  interface Example {
    markdown: string
    html: string
    section: string
    number: number
  }
  const spec: { text: string; tests: Example[] }
  export default spec
  export const tests: Example[]
}
