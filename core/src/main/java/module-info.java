/**
 * vgrad core: tensors, the dynamic autograd engine, grad-mode scopes, random generators and the compute
 * kernels, and data loading (IDX files, image folders, datasets, samplers, loaders with workers, image transforms). The Vector API module is optional: without it the scalar kernels run.
 */
module dev.vgrad.core {
    requires static jdk.incubator.vector;
    requires java.desktop; // javax.imageio for ImageFolder

    exports dev.vgrad.core;
    exports dev.vgrad.core.kernel;
    exports dev.vgrad.core.io;
    // gradient access for vgrad's own optimizers and modules, not for user code
    exports dev.vgrad.core.internal to dev.vgrad.nn, dev.vgrad.optim;
    exports dev.vgrad.data;
    exports dev.vgrad.data.transforms;
}
