/**
 * vgrad optim: optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) with parameter groups and resumable state,
 * learning-rate schedulers, gradient clipping and single-file training checkpoints.
 */
module dev.vgrad.optim {
    requires transitive dev.vgrad.core;
    requires transitive dev.vgrad.nn;

    exports dev.vgrad.optim;
}
