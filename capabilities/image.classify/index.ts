/**
 * image.classify@1 with the built-in models and default settings (providers probed at import:
 * GPU where one really runs, else CPU). Use `createImageClassify` for other models or settings.
 */
import { createImageClassify } from './create.ts'

const imageClassify = await createImageClassify()

export default imageClassify.capability
export {
  createImageClassify,
  DEFAULT_MODEL,
  type ImageClassify,
  type ImageClassifyOptions,
  type ImageClassifyParams,
  type ImageClassifyResult,
} from './create.ts'
export { imageClassify }
