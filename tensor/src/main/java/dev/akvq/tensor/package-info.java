/**
 * Tensor kernels: matrix-vector and matrix-matrix products over weights in their stored dtype,
 * normalisations, activations, softmax, rotary embedding, and the worker pool that splits rows.
 *
 * <p>Every kernel has a Vector API form and a scalar twin ({@code -Dakvq.vector=false} forces the
 * scalar twins everywhere; see {@code KernelMode}). Results do not depend on the thread count.
 *
 * <h2>NaN and infinity policy</h2>
 * Kernels follow IEEE 754 arithmetic and propagate NaN and infinities through their defining
 * formula; no kernel clamps, flushes or hides a non-finite value. Concretely:
 * <ul>
 *   <li>Products and norms: a NaN input, or Inf times 0, or +Inf plus -Inf among the products, gives
 *       NaN; an infinite product with only finite others gives an infinity of its sign. Float
 *       accumulation can overflow to infinity where the exact sum is finite but beyond
 *       {@code Float.MAX_VALUE}.</li>
 *   <li>Activations and softmax are evaluated in double and rounded once, so they overflow or
 *       underflow only where the float result itself does. Their value at ±Inf is the formula's
 *       (e.g. silu(-Inf) = -Inf/Inf = NaN, as torch gives), documented per class.</li>
 *   <li>Softmax of a row whose maximum is +Inf or NaN, or whose entries are all -Inf, is NaN.</li>
 * </ul>
 * The tests hold every kernel to this: where the double-precision oracle is NaN the kernel gives
 * NaN, where it is ±Inf the kernel gives the same infinity, and where it is finite the kernel is
 * finite (or, for float-accumulating kernels, overflows only at the edge of the float range) and
 * within a stated bound relative to a scale such as {@code Σ|w_i x_i|}.
 */
package dev.akvq.tensor;
