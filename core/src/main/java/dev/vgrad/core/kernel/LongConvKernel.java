package dev.vgrad.core.kernel;

/**
 * int64 convolution, PyTorch's CPU result for integer tensors: {@code out[n, o, i, j] = bias[o] + Σ_{c, ki, kj}
 * x[n, g·C/G + c, i·sH − pH + ki·dH, j·sW − pW + kj·dW] · w[o, c, ki, kj]} over the taps inside the input, with
 * two's-complement wrap-around as Java's and PyTorch's {@code long} arithmetic. A direct loop: integer
 * convolutions are for exact counting, not throughput, so they get no SIMD kernel. Arrays are contiguous NCHW.
 */
public final class LongConvKernel {
    private LongConvKernel() {}

    /**
     * The forward convolution of contiguous int64 arrays.
     *
     * @param x      input (N, C, H, W)
     * @param xOff   offset of x's first element
     * @param w      weight (O, C/G, kH, kW)
     * @param wOff   offset of w's first element
     * @param bias   (O), or null for none
     * @param bOff   offset of the bias's first element
     * @param out    output (N, O, outH, outW), every element written
     * @param outOff offset of out's first element
     * @param g      the validated geometry
     */
    public static void forward(long[] x, int xOff, long[] w, int wOff, long[] bias, int bOff, long[] out,
                               int outOff, ConvGeometry g) {
        int cg = g.cPerGroup();
        int og = g.oPerGroup();
        int oh = g.outH();
        int ow = g.outW();
        int d = outOff;
        for (int n = 0; n < g.n(); n++) {
            for (int o = 0; o < g.outChannels(); o++) {
                int c0 = o / og * cg;
                long b = bias == null ? 0 : bias[bOff + o];
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        long acc = b;
                        for (int c = 0; c < cg; c++) {
                            int xPlane = xOff + (n * g.c() + c0 + c) * g.h() * g.w();
                            int wBase = wOff + ((o * cg + c) * g.kh()) * g.kw();
                            for (int ki = 0; ki < g.kh(); ki++) {
                                int ih = i * g.strideH() - g.padH() + ki * g.dilationH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int kj = 0; kj < g.kw(); kj++) {
                                    int iw = j * g.strideW() - g.padW() + kj * g.dilationW();
                                    if (iw >= 0 && iw < g.w()) {
                                        acc += x[xPlane + ih * g.w() + iw] * w[wBase + ki * g.kw() + kj];
                                    }
                                }
                            }
                        }
                        out[d++] = acc;
                    }
                }
            }
        }
    }
}
