/**
 * Adds the CNN's `logits` (the Softmax node's input) as a second graph output of an existing
 * ONNX file, weights untouched, so the energy OOD score can read them. Models exported since
 * (export-cnn.ts) already have it; this upgrades the committed one without retraining.
 *
 *   node scripts/image/expose-logits.ts [capabilities/image.classify/models/fashion-mnist-cnn.onnx]
 */
import { readFileSync, writeFileSync } from 'node:fs'
import onnxProto from 'onnx-proto'
import { floatValue } from './onnx-builder.ts'

const { onnx } = onnxProto
const path = process.argv[2] ?? new URL('../../capabilities/image.classify/models/fashion-mnist-cnn.onnx', import.meta.url).pathname
const model = onnx.ModelProto.decode(readFileSync(path))
const graph = model.graph
if (graph == null) throw new Error(`${path}: no graph`)
const softmax = graph.node?.find((n) => n.opType === 'Softmax')
const logits = softmax?.input?.[0]
if (softmax == null || logits === undefined) throw new Error(`${path}: no Softmax node whose input is the logits`)
graph.output ??= []
if (graph.output.some((o) => o.name === logits)) {
  console.log(`${path}: "${logits}" is already an output`)
} else {
  const probs = graph.output.find((o) => o.name === softmax.output?.[0])
  const classes = Number(probs?.type?.tensorType?.shape?.dim?.[1]?.dimValue ?? 0)
  if (!(classes > 0)) throw new Error(`${path}: cannot read the class count from the probabilities output`)
  graph.output.push(onnx.ValueInfoProto.create(floatValue(logits, ['batch', classes])))
  writeFileSync(path, onnx.ModelProto.encode(model).finish())
  console.log(`${path}: added output "${logits}" [batch, ${classes}]`)
}
