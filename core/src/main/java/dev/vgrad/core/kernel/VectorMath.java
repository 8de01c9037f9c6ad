package dev.vgrad.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp, log, tanh, sigmoid and GELU (with its derivative) on float vectors, built only from IEEE-754 basic operations (add, sub, mul, div,
 * min, max, compares, blends, float↔int conversions and bit shifts).
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP)}: the Vector API lets a transcendental lanewise op return
 * different bits depending on whether C2 has intrinsified the call site (then a vendor math stub runs) or not
 * (then each lane runs {@code Math.exp}). Measured on an AVX-512 machine: 696 of 65,536 exp results changed
 * between a cold call and the same call after JIT warm-up. A module's eval output could then change between
 * two identical calls, which docs/SEMANTICS.md §12 forbids. Every operation used here is exactly rounded by
 * IEEE-754 in both the interpreter and compiled code, so each lane's result is a pure function of its input:
 * the same bits from the first call on, on every x86 and ARM CPU.
 *
 * <p>The approximations are Cephes' single-precision ones (range reduction by ln 2 split in two constants,
 * minimax polynomials). Measured against {@code (float) Math.exp/log/tanh} over dense sweeps of their domains
 * (VectorMathTest): at most 2 ulp apart, specials (±0, ±∞, NaN, subnormal results) exact. GELU's normal CDF uses
 * polynomials fitted for vgrad ({@code tools/fit_normal_cdf.py}); see {@link #gelu}.
 */
final class VectorMath {
    private VectorMath() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: x·log₂e + ROUND, rounded once, holds round(x·log₂e) in its low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /**
     * The fast path's range: there n = round(x·log₂e) lies in [−125, 127], so p·2ⁿ with p in [0.7, 1.42] is a
     * normal float and 2ⁿ can be applied by adding n to p's exponent field.
     */
    private static final float FAST_LO = -86.5f;
    private static final float FAST_HI = 88f;
    /** exp(x) overflows above ~88.72 and is 0 below ~−103.97; the wide path's clamp keeps n small. */
    private static final float WIDE_LO = -104f;
    private static final float WIDE_HI = 89f;
    private static final FloatVector V_LOG2E = FloatVector.broadcast(S, LOG2E);
    private static final FloatVector V_ROUND = FloatVector.broadcast(S, ROUND);
    private static final FloatVector V_M_LN2_HI = FloatVector.broadcast(S, -LN2_HI);
    private static final FloatVector V_M_LN2_LO = FloatVector.broadcast(S, -LN2_LO);
    private static final FloatVector E5 = FloatVector.broadcast(S, 1.9875691500e-4f);
    private static final FloatVector E4 = FloatVector.broadcast(S, 1.3981999507e-3f);
    private static final FloatVector E3 = FloatVector.broadcast(S, 8.3334519073e-3f);
    private static final FloatVector E2 = FloatVector.broadcast(S, 4.1665795894e-2f);
    private static final FloatVector E1 = FloatVector.broadcast(S, 1.6666665459e-1f);
    private static final FloatVector E0 = FloatVector.broadcast(S, 5.0000001201e-1f);
    private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

    /**
     * e^x per lane (vectors of the preferred species); NaN stays NaN, +∞ → +∞, −∞ → 0, subnormal results
     * rounded once. Lanes outside [−86.5, 88] (rare) take a wider path; either way a lane's bits depend on its
     * own input only.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(FAST_LO).min(FAST_HI); // Math.max/min semantics: a NaN lane stays NaN
        FloatVector t = xc.fma(V_LOG2E, V_ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector fast = poly(xc, n).reinterpretAsInts()
                .add(t.reinterpretAsInts().sub(ROUND_BITS).lanewise(VectorOperators.LSHL, 23))
                .reinterpretAsFloats();
        VectorMask<Float> wide = x.compare(VectorOperators.NE, xc);
        if (!wide.anyTrue()) {
            return fast;
        }
        // Lanes below WIDE_LO (−∞ above all: a masked score in a softmax) give exactly +0 and lanes above WIDE_HI
        // give +∞, the values expWide rounds them to; only the rest (subnormal or overflowing results, NaN) need
        // expWide, an out-of-line call whose vectors the JIT may box. A softmax row with −∞ masks took it for
        // every vector holding a masked lane.
        VectorMask<Float> low = x.compare(VectorOperators.LT, WIDE_LO);
        VectorMask<Float> high = x.compare(VectorOperators.GT, WIDE_HI);
        FloatVector r = fast.blend(0f, low).blend(Float.POSITIVE_INFINITY, high);
        VectorMask<Float> rest = wide.andNot(low).andNot(high);
        return rest.anyTrue() ? r.blend(expWide(x), rest) : r;
    }

    /** 1 + r + r²·P(r) with r = x − n·ln 2 (Cody–Waite, exact products through fma): e^r for |r| ≤ ln2/2. */
    private static FloatVector poly(FloatVector x, FloatVector n) {
        FloatVector r = n.fma(V_M_LN2_HI, x);
        r = n.fma(V_M_LN2_LO, r);
        FloatVector p = r.fma(E5, E4).fma(r, E3).fma(r, E2).fma(r, E1).fma(r, E0);
        return p.fma(r.mul(r), r).add(ONE);
    }

    /**
     * The whole range: 2ⁿ in two factors so that n in [−150, 129] never leaves the normal exponent range of
     * either; p·2^n1 is exact and the second product rounds once (into the subnormals, or to ∞).
     */
    private static FloatVector expWide(FloatVector x) {
        FloatVector xc = x.max(WIDE_LO).min(WIDE_HI);
        FloatVector n = xc.fma(V_LOG2E, V_ROUND).sub(ROUND);
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        return poly(xc, n).mul(pow2(n1)).mul(pow2(n2));
    }

    private static FloatVector pow2(IntVector n) {
        return n.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /** ln x per lane; ln(±0) = −∞, ln(x &lt; 0) = NaN, ln(+∞) = +∞, subnormal inputs handled. */
    static FloatVector log(FloatVector x) {
        VectorMask<Float> sub = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector xs = x.blend(x.mul(8388608f), sub); // 2²³ lifts subnormals into the normal range
        IntVector bits = xs.reinterpretAsInts();
        IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(126);
        e = e.blend(e.sub(23), sub.cast(e.species()));
        FloatVector m = bits.and(0x807FFFFF).or(0x3F000000).reinterpretAsFloats(); // mantissa in [0.5, 1)
        FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
        VectorMask<Float> small = m.compare(VectorOperators.LT, 0.707106781186547524f);
        ef = ef.blend(ef.sub(1f), small);
        m = m.blend(m.add(m), small).sub(1f);
        FloatVector z = m.mul(m);
        FloatVector y = m.mul(7.0376836292e-2f).add(-1.1514610310e-1f)
                .mul(m).add(1.1676998740e-1f)
                .mul(m).add(-1.2420140846e-1f)
                .mul(m).add(1.4249322787e-1f)
                .mul(m).add(-1.6668057665e-1f)
                .mul(m).add(2.0000714765e-1f)
                .mul(m).add(-2.4999993993e-1f)
                .mul(m).add(3.3333331174e-1f);
        y = y.mul(m).mul(z);
        y = y.add(ef.mul(LN2_LO));
        y = y.sub(z.mul(0.5f));
        FloatVector res = m.add(y).add(ef.mul(LN2_HI));
        res = res.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        res = res.blend(Float.NaN, x.compare(VectorOperators.LT, 0f).or(x.compare(VectorOperators.NE, x)));
        return res.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
    }

    /** tanh x per lane: an odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above, sign restored. */
    static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs();
        FloatVector a10 = a.min(10f); // tanh rounds to 1 from |x| ≈ 9.1; the clamp keeps exp on its fast path
        FloatVector big = ONE.sub(ONE.add(ONE).div(exp(a10.add(a10)).add(ONE)));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        FloatVector z = x.mul(x);
        FloatVector p = z.mul(-5.70498872745e-3f).add(2.06390887954e-2f)
                .mul(z).add(-5.37397155531e-2f)
                .mul(z).add(1.33314422036e-1f)
                .mul(z).add(-3.33332819422e-1f);
        FloatVector smallRes = p.mul(z).mul(x).add(x);
        // below 1e-4, tanh x rounds to x itself; returning x also keeps the sign of −0 and passes NaN through
        return big.blend(smallRes, a.compare(VectorOperators.LT, 0.625f))
                .blend(x, a.compare(VectorOperators.LT, 1e-4f).or(x.compare(VectorOperators.NE, x)));
    }

    /** 1/(1 + e^{−x}) per lane. */
    static FloatVector sigmoid(FloatVector x) {
        return ONE.div(exp(x.neg()).add(ONE));
    }

    /*
     * The normal CDF Φ for GELU, from two polynomials with float coefficients fitted by tools/fit_normal_cdf.py
     * (highest power first):
     *  |x| ≤ 1:  Φ(x) = 1/2 + x·A(x²)  (2.8e-8 relative error)
     *  |x| > 1:  with t = |x|, the upper tail 1 − Φ(t) = e^(−t²/2)·R(t), R = Mills' ratio/√(2π), a polynomial in
     *            u = 1/(1 + 0.3·t) on [1, 14.5] (1.3e-8; beyond, the exponential underflows); Φ(x) is the tail
     *            for x < 0 and 1 − tail for x > 0.
     * The tail form has no cancellation of 1 + erf(x/√2) (what PyTorch evaluates), so GELU keeps its relative
     * accuracy far into negative x. An earlier version split the tail in two more pieces: its size kept C2 from
     * inlining the backward's evaluation, whose vectors were then boxed (10× slower).
     */
    private static final FloatVector A0 = FloatVector.broadcast(S, 2.1526372e-5f);
    private static final FloatVector A1 = FloatVector.broadcast(S, -7.2677896e-5f);
    private static final FloatVector A2 = FloatVector.broadcast(S, 1.8726099e-4f);
    private static final FloatVector A3 = FloatVector.broadcast(S, -1.2249984e-3f);
    private static final FloatVector A4 = FloatVector.broadcast(S, 9.982517e-3f);
    private static final FloatVector A5 = FloatVector.broadcast(S, -6.6491164e-2f);
    private static final FloatVector A6 = FloatVector.broadcast(S, 3.989423e-1f);
    private static final FloatVector R0 = FloatVector.broadcast(S, 3.6034558e-2f);
    private static final FloatVector R1 = FloatVector.broadcast(S, -1.618758e-1f);
    private static final FloatVector R2 = FloatVector.broadcast(S, 2.1959235e-1f);
    private static final FloatVector R3 = FloatVector.broadcast(S, -7.088103e-2f);
    private static final FloatVector R4 = FloatVector.broadcast(S, 1.4085793e-1f);
    private static final FloatVector R5 = FloatVector.broadcast(S, 9.478742e-2f);
    private static final FloatVector R6 = FloatVector.broadcast(S, 1.21990174e-1f);
    private static final FloatVector R7 = FloatVector.broadcast(S, 1.1947017e-1f);
    private static final FloatVector R8 = FloatVector.broadcast(S, 8.424573e-6f);
    private static final float INV_SQRT_2PI = 0.3989422804014327f;
    private static final float TAIL_CLAMP = 14.5f;
    private static final FloatVector HALF = FloatVector.broadcast(S, 0.5f);

    /**
     * GELU x·Φ(x) per lane, Φ the standard normal CDF. Within a few ulps of the double-precision
     * {@code 0.5·x·erfc(−x/√2)} for every float (VectorMathTest sweeps it); NaN stays NaN, +∞ → +∞, −∞ → NaN
     * (−∞·0, as in PyTorch), −0 → −0.
     */
    static FloatVector gelu(FloatVector x) {
        FloatVector t = x.abs().min(TAIL_CLAMP);
        return x.mul(cdf(x, t, gauss(t)));
    }

    /** g·GELU'(x) = g·(Φ(x) + x·φ(x)) per lane, φ the standard normal density; sharing e^(−x²/2) with Φ. */
    static FloatVector geluBackward(FloatVector x, FloatVector g) {
        FloatVector t = x.abs().min(TAIL_CLAMP);
        FloatVector e = gauss(t);
        return g.mul(x.fma(e.mul(INV_SQRT_2PI), cdf(x, t, e)));
    }

    /**
     * e^(−t²/2), with t² carried as an exact sum of two floats (the fma gives the low part): rounding t² first
     * would cost t²·2⁻²⁴ of relative accuracy, several ulps once t &gt; 3.
     */
    private static FloatVector gauss(FloatVector t) {
        FloatVector t2 = t.mul(t);
        FloatVector lo = t.fma(t, t2.neg());
        FloatVector e = exp(t2.mul(-0.5f));
        return e.fma(lo.mul(-0.5f), e);
    }

    /** Φ(x) given t = min(|x|, 14.5) and e = e^(−t²/2). */
    private static FloatVector cdf(FloatVector x, FloatVector t, FloatVector e) {
        FloatVector x2 = x.mul(x);
        FloatVector small = x2.fma(A0, A1).fma(x2, A2).fma(x2, A3).fma(x2, A4).fma(x2, A5).fma(x2, A6).fma(x, HALF);
        FloatVector u = ONE.div(t.fma(0.3f, 1f));
        FloatVector tail = e.mul(u.fma(R0, R1).fma(u, R2).fma(u, R3).fma(u, R4).fma(u, R5).fma(u, R6).fma(u, R7)
                .fma(u, R8));
        return tail.blend(ONE.sub(tail), x.compare(VectorOperators.GT, 0f)).blend(small, t.compare(VectorOperators.LE, 1f));
    }
}
