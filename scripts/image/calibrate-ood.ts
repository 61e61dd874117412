/**
 * Calibrates the default model's out-of-distribution thresholds and writes them into its manifest.
 * The validation split train.ts held out (5,000 Fashion-MNIST training images, seed 6, never
 * trained on) goes through the capability as PNG files, the path users take. Two thresholds:
 * the energy score's keeps `--score-tpr` (97.5%) of them; the background fraction's is then the
 * highest that still keeps `--tpr` (95%) in distribution on both. The max-softmax and energy-only
 * thresholds at 95% are recorded too, for the eval's comparison. The test set is not looked at.
 *
 *   npm run calibrate:image-classify-ood [-- --tpr 0.95 --score-tpr 0.975]
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pino from 'pino'
import sharp from 'sharp'
import { createImageClassify } from '../../capabilities/image.classify/create.ts'
import { thresholdAtTpr } from '../../capabilities/image.classify/ood.ts'
import { classifyAll } from './classify-all.ts'
import { imageAt, loadFashionMnist, splitTrainValidation } from './fashion-mnist.ts'
import { DEFAULT_MANIFEST, defaultManifestJson, writeVariant } from './manifest-variant.ts'

const { values: args } = parseArgs({
  options: {
    tpr: { type: 'string', default: '0.95' },
    'score-tpr': { type: 'string', default: '0.975' },
    validation: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '6' },
  },
})
const tpr = Number(args.tpr)
const scoreTpr = Number(args['score-tpr'])
/** A pixel this dark (0–255, after inversion) or darker is background: JPEG and resampling leave a few levels above black. */
const BACKGROUND_LEVEL = 8
const train = loadFashionMnist('train')
const { validation } = splitTrainValidation(train.count, Number(args.validation), Number(args.seed))
// a threshold no score reaches below: every image in distribution, scores reported
const open = writeVariant((m) => ({
  ...m,
  ood: { score: 'energy', output: 'logits', threshold: -1e30, background: { level: BACKGROUND_LEVEL, min_fraction: 0 } },
}))
const ic = await createImageClassify({ providers: ['cpu'], modelDirs: [], manifests: [open], log: pino({ level: 'warn' }) })
const png = (i: number): Promise<Uint8Array> =>
  sharp(Buffer.from(imageAt(train, validation[i] as number)), { raw: { width: 28, height: 28, channels: 1 } })
    .png()
    .toBuffer()
const results = await classifyAll(ic, png, validation.length, { top_k: 1 })
await ic.close()
const energy = results.map((r) => r.ood_score?.value ?? Number.NaN)
const msp = results.map((r) => r.predictions[0]?.probability ?? Number.NaN)
const correct = results.filter((r, i) => r.predictions[0]?.index === train.labels[validation[i] as number]).length
const fraction = results.map((r) => r.ood_score?.background_fraction ?? Number.NaN)
const energyThreshold = thresholdAtTpr(energy, scoreTpr)
const mspThreshold = thresholdAtTpr(msp, tpr)
const energyOnlyThreshold = thresholdAtTpr(energy, tpr)
// among the images the score keeps, the background cut that leaves `tpr` of all of them
const keptFractions = fraction.filter((_, i) => (energy[i] as number) >= energyThreshold).sort((a, b) => a - b)
const minFraction = keptFractions[Math.max(0, keptFractions.length - Math.ceil(tpr * fraction.length))] as number
const jointTpr = fraction.filter((f, i) => f >= minFraction && (energy[i] as number) >= energyThreshold).length / fraction.length
const round = (v: number): number => Number(v.toFixed(6))
const manifest = defaultManifestJson()
manifest.ood = {
  score: 'energy',
  output: 'logits',
  threshold: round(energyThreshold),
  background: { level: BACKGROUND_LEVEL, min_fraction: round(minFraction) },
  calibration: {
    script: 'npm run calibrate:image-classify-ood',
    split: `${validation.length} images held out of the Fashion-MNIST training set (seed ${args.seed}), as PNG through the capability`,
    tpr,
    scoreTpr,
    jointTpr: Number(jointTpr.toFixed(4)),
    energyOnlyThreshold: round(energyOnlyThreshold),
    validationAccuracy: Number((correct / validation.length).toFixed(4)),
    maxSoftmaxThreshold: round(mspThreshold),
  },
}
writeFileSync(DEFAULT_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`validation: ${validation.length} images, accuracy ${((100 * correct) / validation.length).toFixed(2)}%`)
console.log(
  `energy ≥ ${energyThreshold.toFixed(4)} (${scoreTpr} TPR) and background ≥ ${minFraction.toFixed(4)}: joint TPR ${jointTpr.toFixed(4)}`,
)
console.log(`for comparison at ${tpr} TPR: energy alone ${energyOnlyThreshold.toFixed(4)}, max-softmax ${mspThreshold.toFixed(4)}`)
console.log(`wrote the ood block of ${DEFAULT_MANIFEST}`)
