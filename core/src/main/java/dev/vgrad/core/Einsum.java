package dev.vgrad.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code einsum} for one or two operands, built from differentiable sum, permute, reshape and batched matmul
 * (docs/SEMANTICS.md §18). Labels are {@code [a-zA-Z]}; {@code ...} stands for the same leading dims in every
 * operand. Labels that appear in only one operand and not in the output are summed first; the remaining labels
 * are split into batch (both operands and output), contracted (both operands, not output) and free labels, and
 * the product is one {@code (B, M, K)·(B, K, N)} matmul. Repeated labels within one operand (diagonals) and more
 * than two operands are rejected with a clear error.
 */
final class Einsum {
    private Einsum() {}

    private static final char ELL = '.';

    static Tensor einsum(String equation, Tensor... operands) {
        Args.nonNull("einsum", "equation", equation);
        Args.nonNull("einsum", "operands", operands);
        String eq = equation.replace(" ", "");
        int arrow = eq.indexOf("->");
        String lhs = arrow < 0 ? eq : eq.substring(0, arrow);
        String[] terms = lhs.split(",", -1);
        if (terms.length > operands.length) {
            throw new IllegalArgumentException("einsum(): fewer operands were provided than specified in the equation"
                    + " (equation \"" + equation + "\", " + operands.length + " operands)");
        }
        if (terms.length < operands.length) {
            throw new IllegalArgumentException("einsum(): more operands were provided than specified in the equation"
                    + " (equation \"" + equation + "\", " + operands.length + " operands)");
        }
        if (operands.length > 2) {
            throw new IllegalArgumentException("einsum(): vgrad supports one or two operands, got " + operands.length
                    + " (equation \"" + equation + "\"); contract pairwise instead");
        }
        // ellipsis dims become private labels (code points past 'z'), the same in every operand
        int ellDims = -1;
        List<char[]> labels = new ArrayList<>();
        int[] counts = new int[256 + 64];
        for (int t = 0; t < terms.length; t++) {
            Args.nonNull("einsum", "operand " + t, operands[t]);
            int rank = operands[t].shape.length;
            String term = terms[t];
            int e = term.indexOf("...");
            String plain = e < 0 ? term : term.substring(0, e) + term.substring(e + 3);
            checkSubscripts(equation, plain, e < 0 ? term : plain);
            if (e < 0 && plain.length() != rank) {
                throw new IllegalArgumentException("einsum(): the number of subscripts in the equation ("
                        + plain.length() + ") does not match the number of dimensions (" + rank + ") for operand " + t
                        + " and no ellipsis was given");
            }
            if (e >= 0 && plain.length() > rank) {
                throw new IllegalArgumentException("einsum(): the number of subscripts in the equation ("
                        + plain.length() + ") is more than the number of dimensions (" + rank + ") for operand " + t);
            }
            char[] ls;
            if (e >= 0) {
                int k = rank - plain.length();
                if (ellDims >= 0 && ellDims != k) {
                    throw new IllegalArgumentException("einsum(): vgrad requires \"...\" to cover the same number of "
                            + "dims in every operand (" + ellDims + " and " + k + ")");
                }
                ellDims = k;
                ls = new char[rank];
                for (int i = 0; i < e; i++) {
                    ls[i] = term.charAt(i);
                }
                for (int i = 0; i < k; i++) {
                    ls[e + i] = (char) (256 + i);
                }
                for (int i = e; i < plain.length(); i++) {
                    ls[k + i] = plain.charAt(i);
                }
            } else {
                ls = plain.toCharArray();
            }
            for (int i = 0; i < ls.length; i++) {
                for (int j = 0; j < i; j++) {
                    if (ls[i] == ls[j]) {
                        throw new IllegalArgumentException("einsum(): subscript " + ls[i] + " is repeated in operand "
                                + t + " (\"" + equation + "\"); diagonals are not supported by vgrad's einsum");
                    }
                }
                counts[ls[i]]++;
            }
            labels.add(ls);
        }
        char[] out;
        if (arrow >= 0) {
            String rhs = eq.substring(arrow + 2);
            int e = rhs.indexOf("...");
            String plain = e < 0 ? rhs : rhs.substring(0, e) + rhs.substring(e + 3);
            checkSubscripts(equation, plain, plain);
            int k = e < 0 ? 0 : Math.max(ellDims, 0);
            out = new char[plain.length() + k];
            int p = 0;
            for (int i = 0; i < plain.length(); i++) {
                if (i == e) {
                    for (int q = 0; q < k; q++) {
                        out[p++] = (char) (256 + q);
                    }
                }
                out[p++] = plain.charAt(i);
            }
            if (e == plain.length()) {
                for (int q = 0; q < k; q++) {
                    out[p++] = (char) (256 + q);
                }
            }
            for (int i = 0; i < out.length; i++) {
                if (out[i] < 256 && counts[out[i]] == 0) {
                    throw new IllegalArgumentException("einsum(): output subscript " + out[i]
                            + " does not appear in the equation for any input operand (\"" + equation + "\")");
                }
                for (int j = 0; j < i; j++) {
                    if (out[i] == out[j]) {
                        throw new IllegalArgumentException("einsum(): output subscript " + out[i]
                                + " appears more than once in the output (\"" + equation + "\")");
                    }
                }
            }
        } else {
            // implicit output: the ellipsis dims, then the labels used once, in alphabetical order
            StringBuilder sb = new StringBuilder();
            for (int q = 0; q < Math.max(ellDims, 0); q++) {
                sb.append((char) (256 + q));
            }
            for (char c = 'A'; c <= 'z'; c++) {
                if (counts[c] == 1) {
                    sb.append(c);
                }
            }
            out = sb.toString().toCharArray();
        }
        // sizes agree per label
        int[] size = new int[counts.length];
        Arrays.fill(size, -1);
        for (int t = 0; t < labels.size(); t++) {
            char[] ls = labels.get(t);
            for (int i = 0; i < ls.length; i++) {
                int s = operands[t].shape[i];
                if (size[ls[i]] >= 0 && size[ls[i]] != s) {
                    String name = ls[i] < 256 ? String.valueOf(ls[i]) : "...";
                    throw new IllegalArgumentException("einsum(): subscript " + name + " has size " + s + " for operand "
                            + t + " which does not broadcast with previously seen size " + size[ls[i]]
                            + " (vgrad's einsum does not broadcast size-1 dims)");
                }
                size[ls[i]] = s;
            }
        }
        if (operands.length == 1) {
            Reduced a = sumAway(operands[0], labels.get(0), out, null);
            return permuteTo(a.t, a.ls, out);
        }
        Reduced a = sumAway(operands[0], labels.get(0), out, labels.get(1));
        Reduced b = sumAway(operands[1], labels.get(1), out, labels.get(0));
        List<Character> batch = new ArrayList<>();
        List<Character> contract = new ArrayList<>();
        List<Character> freeA = new ArrayList<>();
        List<Character> freeB = new ArrayList<>();
        for (char c : a.ls) {
            boolean inB = indexOf(b.ls, c) >= 0;
            boolean inOut = indexOf(out, c) >= 0;
            (inB ? (inOut ? batch : contract) : freeA).add(c);
        }
        for (char c : b.ls) {
            if (indexOf(a.ls, c) < 0) {
                freeB.add(c);
            }
        }
        int nb = prod(batch, size);
        int m = prod(freeA, size);
        int k = prod(contract, size);
        int n = prod(freeB, size);
        Tensor am = permuteTo(a.t, a.ls, chars(batch, freeA, contract)).reshape(nb, m, k);
        Tensor bm = permuteTo(b.t, b.ls, chars(batch, contract, freeB)).reshape(nb, k, n);
        char[] prodLabels = chars(batch, freeA, freeB);
        int[] prodShape = new int[prodLabels.length];
        for (int i = 0; i < prodLabels.length; i++) {
            prodShape[i] = size[prodLabels[i]];
        }
        Tensor r = am.matmul(bm).reshape(prodShape);
        return permuteTo(r, prodLabels, out);
    }

    private record Reduced(Tensor t, char[] ls) {}

    /** Sums the labels of {@code x} that are neither in the output nor in the other operand. */
    private static Reduced sumAway(Tensor x, char[] ls, char[] out, char[] other) {
        int[] dims = new int[ls.length];
        int nd = 0;
        StringBuilder kept = new StringBuilder();
        for (int i = 0; i < ls.length; i++) {
            if (indexOf(out, ls[i]) < 0 && (other == null || indexOf(other, ls[i]) < 0)) {
                dims[nd++] = i;
            } else {
                kept.append(ls[i]);
            }
        }
        return nd == 0 ? new Reduced(x, ls) : new Reduced(x.sum(Arrays.copyOf(dims, nd), false),
                kept.toString().toCharArray());
    }

    private static Tensor permuteTo(Tensor x, char[] from, char[] to) {
        int[] perm = new int[to.length];
        boolean identity = true;
        for (int i = 0; i < to.length; i++) {
            perm[i] = indexOf(from, to[i]);
            identity &= perm[i] == i;
        }
        return identity ? x : x.permute(perm);
    }

    private static void checkSubscripts(String equation, String plain, String term) {
        for (int i = 0; i < plain.length(); i++) {
            char c = plain.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                throw new IllegalArgumentException("einsum(): invalid subscript given at index "
                        + equation.indexOf(c) + " in the equation string, subscripts must be in [a-zA-Z] (\""
                        + equation + "\")");
            }
        }
    }

    private static int indexOf(char[] a, char c) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == c) {
                return i;
            }
        }
        return -1;
    }

    private static int prod(List<Character> ls, int[] size) {
        long p = 1;
        for (char c : ls) {
            p *= size[c];
        }
        return (int) p;
    }

    @SafeVarargs
    private static char[] chars(List<Character>... parts) {
        StringBuilder sb = new StringBuilder();
        for (List<Character> p : parts) {
            for (char c : p) {
                sb.append(c);
            }
        }
        return sb.toString().toCharArray();
    }
}
