package dev.vgrad.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Shape arithmetic never overflows (issue 15 item 4, docs/SEMANTICS.md §10). Random shape-producing ops over
 * random shapes (huge sizes near 2^31, products that overflow int and long, zero sizes, negative sizes): the
 * result is exactly the shape PyTorch's formula gives, computed here in BigInteger, or an
 * IllegalArgumentException naming the op when PyTorch raises or when the shape cannot be represented (a size
 * above 2^31−1, more than 2^31−9 elements, or an empty shape with a contiguous stride above 2^31−1) — never
 * another exception, never a negative or wrapped size. Only empty shapes may be huge; results with more than
 * {@link #SMALL} elements that would really be allocated are skipped (and counted).
 */
@DisplayName("Shapes (issue 15.4): every shape-producing op gives PyTorch's shape or a clear error, never a wrapped size")
class ShapeOverflowPropertyTest {
    private static final BigInteger MAX_SIZE = BigInteger.valueOf(Integer.MAX_VALUE);
    /** The JVM's array limit, vgrad's largest element count (docs/SEMANTICS.md §10). */
    private static final BigInteger MAX_NUMEL = BigInteger.valueOf(Integer.MAX_VALUE - 8);
    /** Largest result a case may allocate. */
    private static final long SMALL = 1 << 16;
    private static final long SEED = Long.getLong("vgrad.shapes.seed", 0x15_04L);
    private static final int EXAMPLES = Integer.getInteger("vgrad.shapes.examples", 10000);
    /**
     * vgrad's one documented limit beyond representability (docs/SEMANTICS.md §10): a convolution or pooling
     * that computes something (non-empty output) needs its padded input {@code in + 2·pad} at most 2^29.
     */
    private static final long MAX_PADDED = 1 << 29;

    /** Sizes that stress the arithmetic: 2^31−1 and neighbours, products that pass 2^31 and 2^63. */
    private static final long[] HUGE = {1 << 15, 46341, 65535, 1 << 16, 1 << 20, 1 << 30, 3L << 29,
        Integer.MAX_VALUE - 8, Integer.MAX_VALUE - 1, Integer.MAX_VALUE};

    /**
     * One drawn call: the expected result (shapes of the returned tensors, or null when PyTorch raises), whether
     * the call allocates its result, and the call itself (returning a Tensor or a List of them).
     */
    private record Case(String op, String what, List<BigInteger[]> expected, boolean allocates, Supplier<Object> run) {}

    private static BigInteger[] big(long... sizes) {
        BigInteger[] b = new BigInteger[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            b[i] = BigInteger.valueOf(sizes[i]);
        }
        return b;
    }

    private static BigInteger[] big(int[] sizes) {
        return big(Arrays.stream(sizes).asLongStream().toArray());
    }

    private static BigInteger product(BigInteger[] shape) {
        BigInteger p = BigInteger.ONE;
        for (BigInteger s : shape) {
            p = p.multiply(s);
        }
        return p;
    }

    /** vgrad's representability rule (docs/SEMANTICS.md §10), restated independently of the code under test. */
    static boolean representable(BigInteger[] shape) {
        for (BigInteger s : shape) {
            if (s.signum() < 0 || s.compareTo(MAX_SIZE) > 0) {
                return false;
            }
        }
        BigInteger n = product(shape);
        if (n.compareTo(MAX_NUMEL) > 0) {
            return false;
        }
        BigInteger stride = BigInteger.ONE;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (stride.compareTo(MAX_SIZE) > 0) {
                return false;
            }
            stride = stride.multiply(shape[i].max(BigInteger.ONE));
        }
        return true;
    }

    private static List<BigInteger[]> one(BigInteger[] shape) {
        List<BigInteger[]> l = new ArrayList<>();
        l.add(shape);
        return l;
    }

    // ------------------------------------------------------------------ random arguments

    private static long small(Random r) {
        return r.nextInt(5);
    }

    private static long size(Random r) {
        return r.nextInt(10) < 6 ? small(r) : HUGE[r.nextInt(HUGE.length)];
    }

    /** A size, now and then negative. */
    private static long sizeOrNegative(Random r) {
        return r.nextInt(12) == 0 ? pickLong(r, -1, -2, Integer.MIN_VALUE) : size(r);
    }

    private static long pickLong(Random r, long... v) {
        return v[r.nextInt(v.length)];
    }

    private static int[] ints(long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }

    /**
     * An input shape that can be allocated: small sizes (at most 4^rank elements), or one zero size with the
     * others drawn from the huge sizes, shrunk until representable.
     */
    private static int[] inputShape(Random r, int rank) {
        long[] s = new long[rank];
        boolean empty = rank > 0 && r.nextBoolean();
        for (int i = 0; i < rank; i++) {
            s[i] = empty ? size(r) : 1 + small(r) % 4;
        }
        if (empty) {
            s[r.nextInt(rank)] = 0;
            for (int i = 0; !representable(big(s)); i = (i + 1) % rank) {
                if (s[i] > 4) {
                    s[i] = 1 + small(r) % 4;
                }
            }
        }
        return ints(s);
    }

    private static Tensor input(int[] shape) {
        return Tensor.zeros(shape);
    }

    // ------------------------------------------------------------------ ops with PyTorch's shape formulas

    private static Case factory(Random r) {
        int rank = r.nextInt(5);
        long[] s = new long[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = sizeOrNegative(r);
        }
        boolean negative = Arrays.stream(s).anyMatch(v -> v < 0);
        int[] shape = ints(s);
        String name = new String[] {"zeros", "full", "rand", "randn"}[r.nextInt(4)];
        Supplier<Object> run = switch (name) {
            case "zeros" -> () -> Tensor.zeros(shape);
            case "full" -> () -> Tensor.full(2.5, shape);
            case "rand" -> () -> Tensor.rand(new Generator(1), shape);
            default -> () -> Tensor.randn(new Generator(1), shape);
        };
        return new Case(name, Arrays.toString(shape), negative ? null : one(big(s)), true, run);
    }

    private static Case eye(Random r) {
        long n = sizeOrNegative(r);
        long m = r.nextBoolean() ? n : sizeOrNegative(r);
        return new Case("eye", n + ", " + m, n < 0 || m < 0 ? null : one(big(n, m)), true,
                () -> Tensor.eye((int) n, (int) m));
    }

    private static Case linspace(Random r) {
        long steps = sizeOrNegative(r);
        return new Case("linspace", "steps " + steps, steps < 0 ? null : one(big(steps)), true,
                () -> Tensor.linspace(-1, 1, (int) steps));
    }

    private static Case arange(Random r) {
        double end = sizeOrNegative(r) + (r.nextBoolean() ? 0.5 : 0);
        // torch.arange(end): ceil(end) elements; a negative end is inconsistent with step 1
        BigInteger[] expected = end < 0 ? null : new BigInteger[] {BigInteger.valueOf((long) Math.ceil(end))};
        return new Case("arange", "end " + end, expected == null ? null : one(expected), true, () -> Tensor.arange(end));
    }

    private static Case view(Random r) {
        int[] in = inputShape(r, r.nextInt(4));
        BigInteger numel = product(big(in));
        int rank = r.nextInt(5);
        long[] s = new long[rank];
        if (numel.signum() == 0 && rank > 0) {
            for (int i = 0; i < rank; i++) {
                s[i] = size(r);
            }
            s[r.nextInt(rank)] = 0;
        } else {
            // a rearrangement of the input's sizes with some 1s, so that the element counts agree
            List<Long> dims = new ArrayList<>();
            for (int v : in) {
                dims.add((long) v);
            }
            while (dims.size() < rank) {
                dims.add(1L);
            }
            Collections.shuffle(dims, r);
            rank = dims.size();
            s = dims.stream().mapToLong(Long::longValue).toArray();
        }
        if (r.nextInt(4) == 0 && rank > 0) {
            s[r.nextInt(rank)] = r.nextBoolean() ? -1 : sizeOrNegative(r);
        }
        if (r.nextInt(8) == 0 && rank > 1) {
            s[0] = -1;
            s[1] = -1;
        }
        int[] target = ints(s);
        boolean reshape = r.nextBoolean();
        Tensor x = input(in);
        Supplier<Object> run = reshape ? () -> x.reshape(target) : () -> x.view(target);
        return new Case(reshape ? "reshape" : "view", Arrays.toString(in) + " -> " + Arrays.toString(target),
                inferView(numel, s), false, run);
    }

    /** torch's infer_size: one -1 inferred from the element count; everything else must match exactly. */
    private static List<BigInteger[]> inferView(BigInteger numel, long[] s) {
        int infer = -1;
        BigInteger known = BigInteger.ONE;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) {
                    return null;
                }
                infer = i;
            } else if (s[i] < 0) {
                return null;
            } else {
                known = known.multiply(BigInteger.valueOf(s[i]));
            }
        }
        BigInteger[] out = big(s);
        if (infer >= 0) {
            if (known.signum() == 0 || numel.mod(known).signum() != 0) {
                return null;
            }
            out[infer] = numel.divide(known);
            return one(out);
        }
        return known.equals(numel) ? one(out) : null;
    }

    private static Case flatten(Random r) {
        int rank = 1 + r.nextInt(4);
        int[] in = inputShape(r, rank);
        int s = r.nextInt(rank);
        int e = r.nextInt(8) == 0 ? r.nextInt(rank) : s + r.nextInt(rank - s);
        List<BigInteger> out = new ArrayList<>();
        BigInteger p = BigInteger.ONE;
        for (int i = 0; i < rank; i++) {
            if (i < s || i > e) {
                out.add(BigInteger.valueOf(in[i]));
            } else {
                p = p.multiply(BigInteger.valueOf(in[i]));
                if (i == e) {
                    out.add(p);
                }
            }
        }
        Tensor x = input(in);
        return new Case("flatten", Arrays.toString(in) + " dims " + s + ".." + e,
                s > e ? null : one(out.toArray(new BigInteger[0])), false, () -> x.flatten(s, e));
    }

    private static Case expand(Random r) {
        int rank = r.nextInt(4);
        int[] in = new int[rank];
        for (int i = 0; i < rank; i++) {
            in[i] = r.nextInt(3) == 0 ? 1 + r.nextInt(3) : r.nextInt(8) == 0 ? 0 : 1;
        }
        int lead = r.nextInt(3);
        long[] sizes = new long[lead + rank];
        BigInteger[] out = new BigInteger[lead + rank];
        boolean error = false;
        for (int i = 0; i < sizes.length; i++) {
            long have = i < lead ? -1 : in[i - lead];
            long want = r.nextInt(6) == 0 ? -1 : r.nextInt(3) == 0 && have >= 0 ? have : sizeOrNegative(r);
            sizes[i] = want;
            if (i < lead) {
                error |= want < 0;
                out[i] = BigInteger.valueOf(want);
            } else if (want == -1 || want == have) {
                out[i] = BigInteger.valueOf(have);
            } else if (have == 1 && want >= 0) {
                out[i] = BigInteger.valueOf(want);
            } else {
                error = true;
            }
        }
        Tensor x = input(in);
        int[] target = ints(sizes);
        return new Case("expand", Arrays.toString(in) + " -> " + Arrays.toString(target), error ? null : one(out),
                false, () -> x.expand(target));
    }

    private static Case cat(Random r) {
        int rank = 1 + r.nextInt(3);
        int[] in = r.nextInt(10) == 0 ? new int[] {1 << 30, 0} : inputShape(r, rank);
        rank = in.length;
        int k = 1 + r.nextInt(3);
        int dim = r.nextInt(rank);
        BigInteger[] out = big(in);
        out[dim] = out[dim].multiply(BigInteger.valueOf(k));
        List<Tensor> parts = Collections.nCopies(k, input(in));
        int d = dim;
        return new Case("cat", k + " x " + Arrays.toString(in) + " along " + dim, one(out), true,
                () -> Tensor.cat(parts, d));
    }

    private static Case stack(Random r) {
        int[] in = inputShape(r, r.nextInt(3));
        int k = 1 + r.nextInt(3);
        int dim = r.nextInt(in.length + 1);
        List<BigInteger> out = new ArrayList<>(Arrays.asList(big(in)));
        out.add(dim, BigInteger.valueOf(k));
        List<Tensor> parts = Collections.nCopies(k, input(in));
        return new Case("stack", k + " x " + Arrays.toString(in) + " at " + dim,
                one(out.toArray(new BigInteger[0])), true, () -> Tensor.stack(parts, dim));
    }

    private static long signedHuge(Random r) {
        long v = r.nextBoolean() ? small(r) : HUGE[r.nextInt(HUGE.length)];
        return r.nextInt(4) == 0 ? -v : v;
    }

    private static Case slice(Random r) {
        int rank = 1 + r.nextInt(3);
        int[] in = inputShape(r, rank);
        int dim = r.nextInt(rank);
        long start = signedHuge(r);
        long end = r.nextInt(4) == 0 ? Integer.MAX_VALUE : signedHuge(r);
        long step = r.nextInt(10) == 0 ? pickLong(r, 0, -1) : Math.max(1, r.nextBoolean() ? small(r) : size(r));
        BigInteger[] out = big(in);
        // Python's slice.indices: clamp start and end into [0, size]; the length is ceil((end - start) / step)
        long size = in[dim];
        long s = Math.max(0, Math.min(size, start < 0 ? start + size : start));
        long e = Math.max(0, Math.min(size, end < 0 ? end + size : end));
        out[dim] = step <= 0 ? null : BigInteger.valueOf(e <= s ? 0 : (e - s + step - 1) / step);
        Tensor x = input(in);
        return new Case("slice", Arrays.toString(in) + "[" + start + ":" + end + ":" + step + "] dim " + dim,
                step <= 0 ? null : one(out), false, () -> x.slice(dim, (int) start, (int) end, (int) step));
    }

    private static Case narrow(Random r) {
        int rank = 1 + r.nextInt(3);
        int[] in = inputShape(r, rank);
        int dim = r.nextInt(rank);
        long size = in[dim];
        long start = r.nextBoolean() ? r.nextInt((int) Math.min(size + 1, 1 << 20)) : signedHuge(r);
        long length = r.nextBoolean() ? r.nextInt((int) Math.min(size + 1, 1 << 20)) : signedHuge(r);
        long s = start < 0 ? start + size : start;
        boolean error = start < -size || start > size || length < 0 || s + length > size;
        BigInteger[] out = big(in);
        out[dim] = BigInteger.valueOf(length);
        Tensor x = input(in);
        return new Case("narrow", Arrays.toString(in) + ".narrow(" + dim + ", " + start + ", " + length + ")",
                error ? null : one(out), false, () -> x.narrow(dim, (int) start, (int) length));
    }

    private static Case split(Random r) {
        int rank = 1 + r.nextInt(3);
        int[] in = inputShape(r, rank);
        int dim = r.nextInt(rank);
        long size = in[dim];
        long split = r.nextInt(10) == 0 ? -1 : Math.max(1, size(r));
        // keep the number of pieces small (PyTorch would return them all; so does vgrad, it just takes time)
        while (split > 0 && size / split > 64) {
            split = HUGE[r.nextInt(HUGE.length)];
        }
        List<BigInteger[]> out = new ArrayList<>();
        for (long p = 0; split > 0 && (p < size || (p == 0 && size == 0)); p += split) {
            BigInteger[] piece = big(in);
            piece[dim] = BigInteger.valueOf(Math.min(split, size - p));
            out.add(piece);
            if (size == 0) {
                break;
            }
        }
        Tensor x = input(in);
        int sp = (int) split;
        return new Case("split", Arrays.toString(in) + ".split(" + split + ", " + dim + ")", split < 0 ? null : out,
                false, () -> x.split(sp, dim));
    }

    /** A spatial size for windowed ops: small, or huge with an empty batch. */
    private static long[] windowInput(Random r) {
        boolean empty = r.nextBoolean();
        long h = empty && r.nextBoolean() ? HUGE[r.nextInt(4)] : 1 + r.nextInt(7);
        long w = empty && r.nextBoolean() ? HUGE[r.nextInt(4)] : 1 + r.nextInt(7);
        long[] in = {empty ? 0 : 1 + r.nextInt(2), 1 + r.nextInt(2), h, w};
        if (!representable(big(in))) {
            in[3] = 1 + r.nextInt(7);
        }
        return in;
    }

    private static long windowArg(Random r, long lo) {
        int k = r.nextInt(20);
        return k == 0 ? lo - 1 : k < 3 ? HUGE[r.nextInt(HUGE.length)] : lo + r.nextInt(3);
    }

    private static Case conv2d(Random r) {
        long[] in = windowInput(r);
        long o = 1 + r.nextInt(2);
        long kh = 1 + r.nextInt(3);
        long kw = 1 + r.nextInt(3);
        long[] st = {windowArg(r, 1), windowArg(r, 1)};
        long[] pd = {windowArg(r, 0), windowArg(r, 0)};
        long[] dl = {windowArg(r, 1), windowArg(r, 1)};
        BigInteger[] out = big(in[0], o, 0, 0);
        boolean error = false;
        long[] k = {kh, kw};
        for (int i = 0; i < 2; i++) {
            error |= st[i] <= 0 || pd[i] < 0 || dl[i] <= 0;
            // ATen: (in + 2·pad − dilation·(k − 1) − 1) / stride + 1, an error when the kernel exceeds the input
            BigInteger padded = BigInteger.valueOf(in[2 + i]).add(BigInteger.valueOf(2 * pd[i]));
            BigInteger eff = BigInteger.valueOf(dl[i]).multiply(BigInteger.valueOf(k[i] - 1)).add(BigInteger.ONE);
            if (!error && padded.compareTo(eff) < 0) {
                error = true;
            }
            if (!error) {
                out[2 + i] = padded.subtract(eff).divide(BigInteger.valueOf(st[i])).add(BigInteger.ONE);
            }
        }
        error |= in[0] > 0 && (in[2] + 2 * pd[0] > MAX_PADDED || in[3] + 2 * pd[1] > MAX_PADDED);
        Tensor x = input(ints(in));
        Tensor weight = Tensor.ones((int) o, (int) in[1], (int) kh, (int) kw);
        return new Case("conv2d", Arrays.toString(in) + " k " + kh + "x" + kw + " stride " + Arrays.toString(st)
                + " pad " + Arrays.toString(pd) + " dil " + Arrays.toString(dl), error ? null : one(out), true,
                () -> x.conv2d(weight, null, ints(st), ints(pd), ints(dl), 1));
    }

    private static Case pool(Random r) {
        boolean max = r.nextBoolean();
        String op = max ? "max_pool2d" : "avg_pool2d";
        long[] in = windowInput(r);
        long[] k = {windowArg(r, 1), windowArg(r, 1)};
        long[] st = {windowArg(r, 1), windowArg(r, 1)};
        long[] pd = {r.nextInt(3), r.nextInt(3)};
        long[] dl = max ? new long[] {windowArg(r, 1), windowArg(r, 1)} : new long[] {1, 1};
        boolean ceil = r.nextBoolean();
        BigInteger[] out = big(in[0], in[1], 0, 0);
        boolean error = false;
        for (int i = 0; i < 2; i++) {
            error |= k[i] <= 0 || st[i] <= 0 || dl[i] <= 0 || pd[i] < 0;
            if (error) {
                break;
            }
            BigInteger eff = BigInteger.valueOf(dl[i]).multiply(BigInteger.valueOf(k[i] - 1)).add(BigInteger.ONE);
            // ATen's pool2d_shape_check: pad at most half the effective kernel
            if (BigInteger.valueOf(pd[i]).compareTo(eff.shiftRight(1)) > 0) {
                error = true;
                break;
            }
            // ATen's pooling_output_shape (floor or ceil division; a last window starting in the right padding dropped)
            BigInteger sz = BigInteger.valueOf(in[2 + i]);
            BigInteger s = BigInteger.valueOf(st[i]);
            BigInteger num = sz.add(BigInteger.valueOf(2 * pd[i])).subtract(eff).add(ceil ? s.subtract(BigInteger.ONE)
                    : BigInteger.ZERO);
            BigInteger[] qr = num.divideAndRemainder(s);
            BigInteger q = qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
            BigInteger o = q.add(BigInteger.ONE);
            if (ceil && o.subtract(BigInteger.ONE).multiply(s).compareTo(sz.add(BigInteger.valueOf(pd[i]))) >= 0) {
                o = o.subtract(BigInteger.ONE);
            }
            if (o.signum() <= 0) {
                error = true;
                break;
            }
            out[2 + i] = o;
        }
        error |= in[0] > 0 && (in[2] + 2 * pd[0] > MAX_PADDED || in[3] + 2 * pd[1] > MAX_PADDED);
        Tensor x = input(ints(in));
        Supplier<Object> run = max ? () -> x.maxPool2d(ints(k), ints(st), ints(pd), ints(dl), ceil)
                : () -> x.avgPool2d(ints(k), ints(st), ints(pd), ceil, true);
        return new Case(op, Arrays.toString(in) + " k " + Arrays.toString(k) + " stride " + Arrays.toString(st)
                + " pad " + Arrays.toString(pd) + " dil " + Arrays.toString(dl) + " ceil " + ceil,
                error ? null : one(out), true, run);
    }

    /** An operand for broadcasting: a small or empty shape, or a long vector (k, 1) / (1, k). */
    private static int[] broadcastOperand(Random r, int rank) {
        if (rank == 2 && r.nextInt(3) == 0) {
            int k = (int) pickLong(r, 46341, 65536);
            return r.nextBoolean() ? new int[] {k, 1} : new int[] {1, k};
        }
        int[] s = inputShape(r, rank);
        for (int i = 0; i < rank; i++) {
            if (s[i] != 0 && r.nextBoolean()) {
                s[i] = 1;
            }
        }
        return s;
    }

    private static Case add(Random r) {
        int[] a = broadcastOperand(r, r.nextInt(4));
        int[] b = broadcastOperand(r, r.nextInt(4));
        int n = Math.max(a.length, b.length);
        BigInteger[] out = new BigInteger[n];
        boolean error = false;
        for (int i = 0; i < n; i++) {
            long da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
            long db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
            error |= da != db && da != 1 && db != 1;
            out[i] = BigInteger.valueOf(da == 1 ? db : da);
        }
        Tensor x = input(a);
        Tensor y = input(b);
        return new Case("add", Arrays.toString(a) + " + " + Arrays.toString(b), error ? null : one(out), true,
                () -> x.add(y));
    }

    private static Case matmul(Random r) {
        long n = size(r);
        long m = size(r);
        long k = r.nextInt(3) == 0 ? 1 + small(r) : 0;
        if (k > 0) {
            n = Math.min(n, 8);
            m = Math.min(m, 8);
        }
        Tensor a = input(new int[] {(int) n, (int) k});
        Tensor b = input(new int[] {(int) k, (int) m});
        return new Case("matmul", "(" + n + ", " + k + ") @ (" + k + ", " + m + ")", one(big(n, m)), true,
                () -> a.matmul(b));
    }

    private static final List<String> OPS = List.of("factory", "eye", "linspace", "arange", "view", "flatten",
            "expand", "cat", "stack", "slice", "narrow", "split", "conv2d", "pool", "add", "matmul");

    private static Case draw(Random r) {
        return switch (OPS.get(r.nextInt(OPS.size()))) {
            case "factory" -> factory(r);
            case "eye" -> eye(r);
            case "linspace" -> linspace(r);
            case "arange" -> arange(r);
            case "view" -> view(r);
            case "flatten" -> flatten(r);
            case "expand" -> expand(r);
            case "cat" -> cat(r);
            case "stack" -> stack(r);
            case "slice" -> slice(r);
            case "narrow" -> narrow(r);
            case "split" -> split(r);
            case "conv2d" -> conv2d(r);
            case "pool" -> pool(r);
            case "add" -> add(r);
            default -> matmul(r);
        };
    }

    // ------------------------------------------------------------------ the contract

    /** Runs one case; returns null when it holds, "skip" when it would allocate too much, else the failure. */
    private static String check(Case c) {
        boolean fits = c.expected() != null && c.expected().stream().allMatch(ShapeOverflowPropertyTest::representable);
        if (fits && c.allocates()
                && c.expected().stream().anyMatch(s -> product(s).compareTo(BigInteger.valueOf(SMALL)) > 0)) {
            return "skip";
        }
        Object result;
        try {
            result = c.run().get();
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            boolean plainIndex = !(e instanceof IndexOutOfBoundsException) || e.getClass() == IndexOutOfBoundsException.class;
            if (fits) {
                return "threw " + e + " but PyTorch's shape " + shapes(c.expected()) + " is representable";
            }
            if (!plainIndex || e.getMessage() == null || !e.getMessage().contains(c.op())) {
                return "threw " + e + " whose message does not name " + c.op();
            }
            return null;
        } catch (Throwable t) {
            return "threw " + t + " (only IllegalArgumentException is allowed)";
        }
        List<Tensor> got = result instanceof Tensor t ? List.of(t) : castList(result);
        if (!fits) {
            return "returned " + shapesOf(got) + " but expected " + (c.expected() == null
                    ? "PyTorch's error" : "an IllegalArgumentException for the unrepresentable " + shapes(c.expected()));
        }
        if (got.size() != c.expected().size()) {
            return "returned " + got.size() + " tensors, expected " + c.expected().size();
        }
        for (int i = 0; i < got.size(); i++) {
            if (!Arrays.equals(big(got.get(i).shape()), c.expected().get(i))) {
                return "returned shape " + shapesOf(got) + ", PyTorch's formula gives " + shapes(c.expected());
            }
            for (int st : got.get(i).stride()) {
                if (st < 0) {
                    return "returned a negative stride " + Arrays.toString(got.get(i).stride());
                }
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static List<Tensor> castList(Object o) {
        return (List<Tensor>) o;
    }

    private static String shapes(List<BigInteger[]> s) {
        return s.stream().map(Arrays::toString).toList().toString();
    }

    private static String shapesOf(List<Tensor> ts) {
        return ts.stream().map(t -> Arrays.toString(t.shape())).toList().toString();
    }

    @Test
    @DisplayName("random ops over random (huge, empty, negative) shapes: PyTorch's shape or an error naming the op")
    void randomShapes() {
        int[] tried = {0};
        int[] skipped = {0};
        List<String> failures = new ArrayList<>();
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).withShrinkCycles(0).forAll(longs().all()).checkAssert(seed -> {
            Case c;
            try {
                c = draw(new Random(seed));
            } catch (RuntimeException setup) {
                throw new AssertionError("building the case failed (case seed " + seed + ")", setup);
            }
            tried[0]++;
            String f = check(c);
            if ("skip".equals(f)) {
                skipped[0]++;
            } else if (f != null) {
                failures.add(c.op() + " " + c.what() + ": " + f + " (case seed " + seed + ")");
            }
        });
        System.out.println("[issue15] ShapeOverflowPropertyTest: " + tried[0] + " cases tried (" + skipped[0]
                + " skipped as too large to allocate), " + failures.size() + " failures (seed " + SEED
                + ", -Dvgrad.shapes.seed to change)");
        assertTrue(failures.isEmpty(), failures.size() + " failures, first ones:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    // ------------------------------------------------------------------ the issue's own examples

    @Test
    @DisplayName("issue example: cat of three zeros(2^30, 0) is a clear error, not [-1073741824, 0]")
    void catOfThreeHugeEmpties() {
        Tensor z = Tensor.zeros(1 << 30, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.cat(List.of(z, z, z), 0));
        // 3·2^30 = 3221225472 does not fit an int dim (docs/SEMANTICS.md §10)
        assertEquals("cat: resulting size " + (3L << 30) + " of dim 0 exceeds the maximum " + Integer.MAX_VALUE,
                e.getMessage());
        // two of them fit: 2^31 − 1 is the largest size, 2·2^30 = 2^31 is not; one more than that is refused too
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(List.of(z, z), 0));
        assertArrayEquals(new int[] {3, 1 << 30, 0}, Tensor.stack(List.of(z, z, z), 0).shape());
    }

    @Test
    @DisplayName("issue example: slice with a step beyond the length gives one element, as in PyTorch")
    void sliceStepBeyondLength() {
        Tensor x = Tensor.arange(10.0);
        // x[2:8:100] in PyTorch: [2.]; x[::2^31-1]: [0.]; x[10:10:5]: empty
        assertArrayEquals(new float[] {2}, x.slice(0, 2, 8, 100).toArray());
        assertArrayEquals(new float[] {0}, x.slice(0, 0, Integer.MAX_VALUE, Integer.MAX_VALUE).toArray());
        assertArrayEquals(new float[] {9}, x.slice(0, 9, Integer.MAX_VALUE, Integer.MAX_VALUE - 1).toArray());
        assertArrayEquals(new int[] {0}, x.slice(0, 10, 10, 5).shape());
        // the gradient flows back through the one selected element
        Tensor w = Tensor.arange(10.0).requiresGrad(true);
        w.slice(0, 3, 10, Integer.MAX_VALUE).sum().backward();
        float[] expected = new float[10];
        expected[3] = 1;
        assertArrayEquals(expected, w.grad().toArray());
    }

    @Test
    @DisplayName("eye(n, m) and linspace with 0 and 1 steps match PyTorch; eye(50000) is refused, not wrapped")
    void eyeAndLinspace() {
        assertArrayEquals(new int[] {0, 3}, Tensor.eye(0, 3).shape());
        assertArrayEquals(new int[] {3, 0}, Tensor.eye(3, 0).shape());
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, Tensor.eye(2, 3).toArray());
        assertArrayEquals(new float[] {1, 0, 0, 1, 0, 0}, Tensor.eye(3, 2).toArray());
        assertArrayEquals(new int[] {0}, Tensor.linspace(0, 1, 0).shape());
        assertArrayEquals(new float[] {3}, Tensor.linspace(3, 1, 1).toArray());
        // 50000² = 2.5e9 wrapped to a negative int before; it exceeds what one array holds
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.eye(50000));
        assertTrue(e.getMessage().startsWith("eye: "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.eye(-1, 2));
    }

    @Test
    @DisplayName("products that overflow long (2^21 cubed) are refused instead of wrapping to 0 elements")
    void longOverflowIsRefused() {
        int s = 1 << 21;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(s, s, s));
        assertTrue(e.getMessage().startsWith("zeros: "), e.getMessage());
        // with a zero size the element count is 0 and the shape is representable when its strides fit
        assertArrayEquals(new int[] {Integer.MAX_VALUE, 0}, Tensor.zeros(Integer.MAX_VALUE, 0).shape());
        // (2^21, 2^21, 0) has strides (2^21, 1, 1); (2^21, 2^21, 2^21, 0) would need a stride of 2^42
        assertArrayEquals(new int[] {s, 1, 1}, Tensor.zeros(s, s, 0).stride());
        assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(s, s, s, 0));
        Tensor flat = Tensor.zeros(1 << 16, 1 << 15, 0);
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> flat.flatten(0, 1));
        assertEquals("flatten: resulting size " + (1L << 31) + " of dim 0 exceeds the maximum " + Integer.MAX_VALUE,
                f.getMessage());
    }
}
