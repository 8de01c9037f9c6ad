/**
 * Optimizers, learning-rate schedulers, gradient clipping and checkpoints, following PyTorch's
 * {@code torch.optim} (docs/SEMANTICS.md §6).
 *
 * <pre>{@code
 * Module model = ...;
 * var opt = new AdamW(List.of(
 *         ParamGroup.of(weights),
 *         ParamGroup.of(biasesAndNorms).weightDecay(0.0)),      // per-group hyper-parameters
 *     AdamW.options().lr(3e-3));
 * var sched = new OneCycleLR(opt, 3e-3, totalSteps);
 * for (...) {
 *     opt.zeroGrad();                                          // grads -> null (PyTorch 2.x)
 *     loss(model, batch).backward();
 *     ClipGrad.clipGradNorm(model.parameters(), 1.0);
 *     opt.step();                                              // fused, in place, under no-grad
 *     sched.step();
 * }
 * Checkpoint.save(path, model, opt, sched, Map.of("epoch", "3"));   // one safetensors file
 * }</pre>
 *
 * <p>Optimizers take plain {@code List<Tensor>} or {@link dev.vgrad.optim.ParamGroup}s; only
 * {@link dev.vgrad.optim.Checkpoint} uses {@code dev.vgrad.nn}.
 */
package dev.vgrad.optim;
