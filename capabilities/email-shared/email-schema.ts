/** JSON Schema of the ParsedEmail shape (parse-email.ts), used as email.parse's output contract. */

const address = {
  type: 'object',
  required: ['name', 'address'],
  additionalProperties: false,
  properties: { name: { type: 'string' }, address: { type: 'string' } },
} as const

const addressList = { type: 'array', items: address } as const

export const PARSED_EMAIL_SCHEMA = {
  type: 'object',
  required: ['headers', 'from', 'to', 'cc', 'bcc', 'replyTo', 'textFromHtml', 'attachments', 'warnings', 'size'],
  additionalProperties: false,
  properties: {
    headers: {
      type: 'object',
      description: 'lowercase header name to decoded value; repeated fields as arrays',
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    },
    from: addressList,
    to: addressList,
    cc: addressList,
    bcc: addressList,
    replyTo: addressList,
    subject: { type: 'string' },
    date: { type: 'string', format: 'date-time' },
    messageId: { type: 'string' },
    text: { type: 'string' },
    html: { type: 'string' },
    textFromHtml: { type: 'boolean' },
    attachments: {
      type: 'array',
      items: {
        type: 'object',
        required: ['contentType', 'size', 'sha256'],
        additionalProperties: false,
        properties: {
          filename: { type: 'string' },
          contentType: { type: 'string' },
          disposition: { type: 'string' },
          contentId: { type: 'string' },
          size: { type: 'integer', minimum: 0 },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          content: { type: 'string', contentEncoding: 'base64' },
        },
      },
    },
    warnings: {
      type: 'array',
      items: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: { code: { type: 'string' }, message: { type: 'string' } },
      },
    },
    size: { type: 'integer', minimum: 0 },
  },
} as const
