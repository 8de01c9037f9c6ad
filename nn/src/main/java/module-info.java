/**
 * vgrad nn: modules with PyTorch's train/eval semantics, layers, losses, weight initialisation, the functional
 * API and safetensors state dicts; {@code dev.vgrad.nn.testing} checks users' own layers against the module laws.
 */
module dev.vgrad.nn {
    requires transitive dev.vgrad.core;

    exports dev.vgrad.nn;
    exports dev.vgrad.nn.testing;
    exports dev.vgrad.nn.utils;
}
