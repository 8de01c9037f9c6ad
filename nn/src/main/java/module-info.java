/**
 * vgrad nn: modules with PyTorch's train/eval semantics, layers, losses, weight initialisation, the functional
 * API and safetensors state dicts.
 */
module dev.vgrad.nn {
    requires transitive dev.vgrad.core;

    exports dev.vgrad.nn;
}
