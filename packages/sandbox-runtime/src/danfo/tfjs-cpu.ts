/**
 * Stands in for `@tensorflow/tfjs` in the danfo runtime bundle (build-danfo.mjs aliases it here):
 * tfjs's core and its pure-JavaScript CPU backend only. danfo calls `tf.tensor`, `tf.scalar`,
 * `tf.moments` and `tf.Tensor`; the union package would add layers, the model converter, tf.data
 * and the WebGL backend (megabytes, and a GPU an isolate does not have). `tf.data` is absent, so
 * danfo's `sample()` (asynchronous, and Code Mode is synchronous anyway) is not offered.
 */
export * from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Tensor methods (`t.sum()`, `t.sqrt()`, …), which danfo's scalers call: the union package
// registers them the same way. Gradients are left out (nothing trains here).
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
