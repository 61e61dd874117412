/**
 * The built-in catalogue: what the CLI and the demo serve. Embedding apps pass
 * their own list to createNode instead; the node never imports this file.
 */
import type { AnyCapability } from '../src/capability.ts'
import documentConvert from './document.convert/index.ts'
import emailClassify from './email.classify/index.ts'
import emailParse from './email.parse/index.ts'
import echo from './example.echo/index.ts'
import imageClassify from './image.classify/index.ts'
import streamProcess from './stream.process/index.ts'

export const builtinCapabilities: AnyCapability[] = [echo, emailParse, emailClassify, documentConvert, streamProcess, imageClassify]
export { createSignCsrCapability } from './certificate.sign_csr/index.ts'
export {
  createImageClassify,
  type ImageClassify,
  type ImageClassifyOptions,
  type ImageClassifyParams,
  type ImageClassifyResult,
} from './image.classify/create.ts'
