/**
 * Hugging Face checkpoints, memory-mapped and validated before use.
 *
 * <ul>
 *   <li>{@link dev.akvq.weights.SafetensorsFile}: one .safetensors file; every tensor a
 *       zero-copy {@link dev.akvq.weights.WeightTensor} slice of the mapping.</li>
 *   <li>{@link dev.akvq.weights.Checkpoint}: a model directory (single file or sharded through
 *       model.safetensors.index.json) as one name-to-tensor view.</li>
 *   <li>{@link dev.akvq.weights.json}: the strict JSON reader the headers and configs go through.</li>
 *   <li>{@link dev.akvq.weights.config}: config.json and generation_config.json as records with
 *       transformers v4.47.1's defaults.</li>
 * </ul>
 * Every problem with a file surfaces as a {@link dev.akvq.weights.WeightsFormatException}
 * whose message names the file and the tensor or field.
 */
package dev.akvq.weights;
