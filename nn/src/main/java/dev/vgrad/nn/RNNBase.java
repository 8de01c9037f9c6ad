package dev.vgrad.nn;

import dev.vgrad.core.Generator;
import dev.vgrad.core.Recurrent;
import dev.vgrad.core.Tensor;
import dev.vgrad.nn.utils.PackedSequence;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link LSTM} and {@link GRU} share ({@code nn.RNNBase}, docs/SEMANTICS.md §22): the parameters in
 * PyTorch's names, order and layouts ({@code weight_ih_l{k}[_reverse]} of shape {@code (G·H, in)},
 * {@code weight_hh_l{k}[_reverse]} {@code (G·H, H)}, {@code bias_ih_l{k}[_reverse]}, {@code bias_hh_l{k}[_reverse]}
 * {@code (G·H)}, gates i,f,g,o for LSTM and r,z,n for GRU, layer by layer and forward direction first, and for an
 * LSTM with {@code proj_size} P &gt; 0 {@code weight_hr_l{k}[_reverse]} {@code (P, H)} after the biases, with
 * {@code weight_hh} {@code (4H, P)} and upper layers reading {@code D·P} features), so a PyTorch state dict loads
 * as is; the init law U(−1/√H, 1/√H) over every parameter in that order; the input and state checks with
 * PyTorch's messages; and the stacking of layers and directions, each direction one fused node of
 * {@link Recurrent} (with a projection, {@link Recurrent#lstmLayerProjected}). Dropout with
 * probability {@code dropout} is applied to the output of every layer but the last, in training mode only.
 *
 * <p>{@link #forward(Tensor)} returns the output sequence only, so the layer can sit in a {@link Sequential} (and
 * {@link Module#call} runs its hooks); the subclasses' {@code forward(input, states…)} return the output and the
 * final states as a record.
 */
public abstract class RNNBase extends Module {
    private final String mode;
    private final int gates;
    private final int inputSize;
    private final int hiddenSize;
    private final int numLayers;
    private final boolean bias;
    private final boolean batchFirst;
    private final double dropout;
    private final boolean bidirectional;
    private final int projSize;

    RNNBase(String mode, int gates, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
            double dropout, boolean bidirectional, Generator gen) {
        this(mode, gates, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, gen);
    }

    RNNBase(String mode, int gates, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
            double dropout, boolean bidirectional, int projSize, Generator gen) {
        Check.nonNull(mode, "generator", gen);
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("dropout should be a number in range [0, 1] representing the "
                    + "probability of an element being zeroed");
        }
        if (inputSize < 0 || hiddenSize <= 0 || numLayers <= 0) {
            throw new IllegalArgumentException(mode + ": input_size must be non-negative, hidden_size and "
                    + "num_layers positive, got input_size=" + inputSize + ", hidden_size=" + hiddenSize
                    + ", num_layers=" + numLayers);
        }
        if (projSize < 0) {
            throw new IllegalArgumentException("proj_size should be a positive integer or zero to disable "
                    + "projections");
        }
        if (projSize > 0 && projSize >= hiddenSize) {
            throw new IllegalArgumentException("proj_size has to be smaller than hidden_size");
        }
        this.mode = mode;
        this.gates = gates;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.bias = bias;
        this.batchFirst = batchFirst;
        this.dropout = dropout;
        this.bidirectional = bidirectional;
        this.projSize = projSize;
        int dirs = numDirections();
        int realHidden = projSize > 0 ? projSize : hiddenSize;
        for (int layer = 0; layer < numLayers; layer++) {
            for (int d = 0; d < dirs; d++) {
                int in = layer == 0 ? inputSize : realHidden * dirs;
                String sfx = suffix(layer, d);
                registerParameter("weight_ih" + sfx, Parameter.of(Tensor.zeros(gates * hiddenSize, in)));
                registerParameter("weight_hh" + sfx, Parameter.of(Tensor.zeros(gates * hiddenSize, realHidden)));
                if (bias) {
                    registerParameter("bias_ih" + sfx, Parameter.of(Tensor.zeros(gates * hiddenSize)));
                    registerParameter("bias_hh" + sfx, Parameter.of(Tensor.zeros(gates * hiddenSize)));
                }
                if (projSize > 0) {
                    registerParameter("weight_hr" + sfx, Parameter.of(Tensor.zeros(projSize, hiddenSize)));
                }
            }
        }
        resetParameters(gen);
    }

    private static String suffix(int layer, int direction) {
        return "_l" + layer + (direction == 1 ? "_reverse" : "");
    }

    /**
     * Re-draws every parameter from U(−1/√hidden_size, 1/√hidden_size), in registration order.
     *
     * @param gen source of the draws
     */
    public void resetParameters(Generator gen) {
        double stdv = 1.0 / Math.sqrt(hiddenSize);
        for (Tensor p : parameters()) {
            Init.uniform(p, -stdv, stdv, gen);
        }
    }

    /**
     * The expected size of the input's last dim.
     *
     * @return {@code input_size}
     */
    public int inputSize() {
        return inputSize;
    }

    /**
     * The size H of each direction's hidden state.
     *
     * @return {@code hidden_size}
     */
    public int hiddenSize() {
        return hiddenSize;
    }

    /**
     * The number of stacked layers.
     *
     * @return {@code num_layers}
     */
    public int numLayers() {
        return numLayers;
    }

    /**
     * Whether batched inputs and outputs are (B, T, *) instead of (T, B, *).
     *
     * @return {@code batch_first}
     */
    public boolean batchFirst() {
        return batchFirst;
    }

    /**
     * Whether each layer also runs over the reversed sequence (D = 2).
     *
     * @return {@code bidirectional}
     */
    public boolean bidirectional() {
        return bidirectional;
    }

    /**
     * The dropout probability between layers in training mode.
     *
     * @return {@code dropout}, in [0, 1]
     */
    public double dropout() {
        return dropout;
    }

    /**
     * The size P of each direction's projected hidden state (LSTM only; 0 when there is no projection).
     *
     * @return {@code proj_size}, 0 for none
     */
    public int projSize() {
        return projSize;
    }

    final int numDirections() {
        return bidirectional ? 2 : 1;
    }

    /**
     * The output sequence only (the final states are dropped), zero initial states.
     *
     * @param input (T, B, input_size), (B, T, input_size) with batch_first, or unbatched (T, input_size)
     * @return the output sequence (T, B, D·H) in the input's layout ((T, D·H) unbatched)
     * @throws IllegalArgumentException for a rank other than 2 or 3, a wrong input_size or an empty sequence
     */
    @Override
    public Tensor forward(Tensor input) {
        return run(input, null, null)[0];
    }

    /**
     * Runs every layer and direction. {@code h0}/{@code c0} are {@code (L·D, B, H)} (or {@code (L·D, H)} for an
     * unbatched input), null for zeros; c0 only for LSTM. Returns {output, h_n, c_n (LSTM) or null}.
     */
    final Tensor[] run(Tensor input, Tensor h0, Tensor c0) {
        Check.nonNull(mode + ".forward", "input", input);
        int dim = input.dim();
        if (dim != 2 && dim != 3) {
            throw new IllegalArgumentException(mode + ": Expected input to be 2-D or 3-D but received " + dim
                    + "-D tensor");
        }
        boolean batched = dim == 3;
        if (input.size(-1) != inputSize) {
            throw new IllegalArgumentException("input.size(-1) must be equal to input_size. Expected " + inputSize
                    + ", got " + input.size(-1));
        }
        Tensor x = batched ? input : input.unsqueeze(batchFirst ? 0 : 1);
        if (batchFirst) {
            x = x.transpose(0, 1);
        }
        if (x.size(0) == 0) {
            throw new IllegalArgumentException("Expected sequence length to be larger than 0 in RNN");
        }
        int b = x.size(1);
        int ld = numLayers * numDirections();
        Tensor[] states = {h0, c0};
        for (int k = 0; k < 2; k++) {
            Tensor s = states[k];
            // With a projection, h is P wide and c keeps H (PyTorch's get_expected_hidden_size/cell_size).
            int width = k == 0 && projSize > 0 ? projSize : hiddenSize;
            if (s == null) {
                states[k] = Tensor.zeros(x.dtype(), ld, b, width);
                continue;
            }
            if (s.dim() != (batched ? 3 : 2)) {
                throw new IllegalArgumentException(batched
                        ? "For batched 3-D input, hx should also be 3-D but got " + s.dim() + "-D tensor"
                        : "For unbatched 2-D input, hx should also be 2-D but got " + s.dim() + "-D tensor");
            }
            Tensor s3 = batched ? s : s.unsqueeze(1);
            if (s3.size(0) != ld || s3.size(1) != b || s3.size(2) != width) {
                String what = gates == 4 ? "hidden[" + k + "] size" : "hidden size";
                throw new IllegalArgumentException("Expected " + what + " (" + ld + ", " + b + ", " + width
                        + "), got " + java.util.Arrays.toString(s3.shape()));
            }
            states[k] = s3;
        }
        boolean lstm = gates == 4;
        int dirs = numDirections();
        int h = hiddenSize;
        List<Tensor> hn = new ArrayList<>();
        List<Tensor> cn = new ArrayList<>();
        for (int layer = 0; layer < numLayers; layer++) {
            if (layer > 0) {
                x = F.dropout(x, dropout, training);
            }
            List<Tensor> outs = new ArrayList<>(dirs);
            for (int d = 0; d < dirs; d++) {
                String sfx = suffix(layer, d);
                int idx = layer * dirs + d;
                boolean rev = d == 1;
                Tensor wIh = param("weight_ih" + sfx);
                Tensor wHh = param("weight_hh" + sfx);
                Tensor bIh = bias ? param("bias_ih" + sfx) : null;
                Tensor bHh = bias ? param("bias_hh" + sfx) : null;
                Tensor hi = states[0].select(0, idx);
                int last = rev ? 0 : x.size(0) - 1;
                if (lstm && projSize > 0) {
                    int p = projSize;
                    Tensor y = Recurrent.lstmLayerProjected(x, hi, states[1].select(0, idx), wIh, wHh, bIh, bHh,
                            param("weight_hr" + sfx), rev);
                    outs.add(y.narrow(2, 0, p));
                    hn.add(y.select(0, last).narrow(1, 0, p));
                    cn.add(y.select(0, last).narrow(1, p, h));
                } else if (lstm) {
                    Tensor y = Recurrent.lstmLayer(x, hi, states[1].select(0, idx), wIh, wHh, bIh, bHh, rev);
                    outs.add(y.narrow(2, 0, h));
                    hn.add(y.select(0, last).narrow(1, 0, h));
                    cn.add(y.select(0, last).narrow(1, h, h));
                } else {
                    Tensor y = Recurrent.gruLayer(x, hi, wIh, wHh, bIh, bHh, rev);
                    outs.add(y);
                    hn.add(y.select(0, last));
                }
            }
            x = dirs == 1 ? outs.get(0) : Tensor.cat(outs, 2);
        }
        Tensor out = batchFirst ? x.transpose(0, 1) : x;
        Tensor hN = Tensor.stack(hn, 0);
        Tensor cN = lstm ? Tensor.stack(cn, 0) : null;
        if (!batched) {
            out = out.squeeze(batchFirst ? 0 : 1);
            hN = hN.squeeze(1);
            cN = cN == null ? null : cN.squeeze(1);
        }
        return new Tensor[] {out, hN, cN};
    }

    /**
     * Runs every layer and direction over a packed batch (docs/SEMANTICS.md §22.5). {@code h0}/{@code c0} are
     * {@code (L·D, B, H)} in the caller's batch order (permuted here by {@code sortedIndices}), null for zeros.
     * Returns {output data (N, D·H), h_n, c_n (LSTM) or null}, the states back in the caller's order.
     */
    final Tensor[] runPacked(PackedSequence input, Tensor h0, Tensor c0) {
        Check.nonNull(mode + ".forward", "input", input);
        Tensor x = input.data();
        if (x.dim() != 2) {
            throw new IllegalArgumentException("input must have 2 dimensions, got " + x.dim());
        }
        if (x.size(-1) != inputSize) {
            throw new IllegalArgumentException("input.size(-1) must be equal to input_size. Expected " + inputSize
                    + ", got " + x.size(-1));
        }
        long[] bs = input.batchSizes().toLongArray();
        int b = (int) bs[0];
        int ld = numLayers * numDirections();
        Tensor sorted = input.sortedIndices();
        boolean lstm = gates == 4;
        Tensor[] states = {h0, c0};
        for (int k = 0; k < (lstm ? 2 : 1); k++) {
            int width = k == 0 && projSize > 0 ? projSize : hiddenSize;
            Tensor s = states[k];
            if (s == null) {
                states[k] = Tensor.zeros(x.dtype(), ld, b, width);
                continue;
            }
            if (s.dim() != 3 || s.size(0) != ld || s.size(1) != b || s.size(2) != width) {
                String what = gates == 4 ? "hidden[" + k + "] size" : "hidden size";
                throw new IllegalArgumentException("Expected " + what + " (" + ld + ", " + b + ", " + width
                        + "), got " + java.util.Arrays.toString(s.shape()));
            }
            // Initial states come in the caller's order; the packed rows are in sorted order.
            states[k] = sorted == null ? s : s.indexSelect(1, sorted);
        }
        int dirs = numDirections();
        List<Tensor> hn = new ArrayList<>();
        List<Tensor> cn = new ArrayList<>();
        for (int layer = 0; layer < numLayers; layer++) {
            if (layer > 0) {
                x = F.dropout(x, dropout, training);
            }
            List<Tensor> outs = new ArrayList<>(dirs);
            for (int d = 0; d < dirs; d++) {
                int idx = layer * dirs + d;
                Tensor[] r = packedDirection(x, bs, suffix(layer, d), d == 1, states[0].select(0, idx),
                        lstm ? states[1].select(0, idx) : null);
                outs.add(r[0]);
                hn.add(r[1]);
                cn.add(r[2]);
            }
            x = dirs == 1 ? outs.get(0) : Tensor.cat(outs, 1);
        }
        Tensor hN = Tensor.stack(hn, 0);
        Tensor cN = lstm ? Tensor.stack(cn, 0) : null;
        Tensor unsorted = input.unsortedIndices();
        if (unsorted != null) {
            hN = hN.indexSelect(1, unsorted);
            cN = cN == null ? null : cN.indexSelect(1, unsorted);
        }
        return new Tensor[] {x, hN, cN};
    }

    /**
     * One layer direction over packed rows {@code x (N, in)}. Steps with the same batch size form one run, computed
     * by one fused layer call on the first {@code bs[t]} sorted sequences; between runs the batch shrinks (forward:
     * the dropped sequences' states are final) or grows (reverse: newly started sequences join with their initial
     * state). Returns {out (N, W), h_n (B, W), c_n (B, H) or null}, W = P with a projection, else H.
     */
    private Tensor[] packedDirection(Tensor x, long[] bs, String sfx, boolean rev, Tensor h0, Tensor c0) {
        int steps = bs.length;
        int[] offsets = new int[steps + 1];
        for (int t = 0; t < steps; t++) {
            offsets[t + 1] = offsets[t] + (int) bs[t];
        }
        List<int[]> runs = new ArrayList<>();
        for (int t = 0; t < steps; ) {
            int end = t;
            while (end < steps && bs[end] == bs[t]) {
                end++;
            }
            runs.add(new int[] {t, end});
            t = end;
        }
        int w = projSize > 0 ? projSize : hiddenSize;
        Tensor[] outs = new Tensor[runs.size()];
        List<Tensor> hDone = new ArrayList<>();
        List<Tensor> cDone = new ArrayList<>();
        Tensor h = rev ? h0.narrow(0, 0, (int) bs[steps - 1]) : h0;
        Tensor c = c0 == null ? null : rev ? c0.narrow(0, 0, (int) bs[steps - 1]) : c0;
        for (int q = 0; q < runs.size(); q++) {
            int[] run = runs.get(rev ? runs.size() - 1 - q : q);
            int rows = (int) bs[run[0]];
            int cur = h.size(0);
            if (rows < cur) {
                hDone.add(h.narrow(0, rows, cur - rows));
                h = h.narrow(0, 0, rows);
                if (c != null) {
                    cDone.add(c.narrow(0, rows, cur - rows));
                    c = c.narrow(0, 0, rows);
                }
            } else if (rows > cur) {
                h = Tensor.cat(List.of(h, h0.narrow(0, cur, rows - cur)), 0);
                c = c == null ? null : Tensor.cat(List.of(c, c0.narrow(0, cur, rows - cur)), 0);
            }
            int len = run[1] - run[0];
            Tensor xr = x.narrow(0, offsets[run[0]], len * rows).reshape(len, rows, x.size(1));
            Tensor y = layerDirection(xr, h, c, sfx, rev);
            Tensor last = y.select(0, rev ? 0 : len - 1);
            h = last.narrow(1, 0, w);
            c = c == null ? null : last.narrow(1, w, hiddenSize);
            outs[rev ? runs.size() - 1 - q : q] = y.narrow(2, 0, w).reshape(len * rows, w);
        }
        Tensor out = outs.length == 1 ? outs[0] : Tensor.cat(List.of(outs), 0);
        if (rev) {
            return new Tensor[] {out, h, c};
        }
        // Sequences leave the batch from the highest sorted index down, so the finished pieces are in reverse.
        hDone.add(h);
        java.util.Collections.reverse(hDone);
        Tensor hN = hDone.size() == 1 ? hDone.get(0) : Tensor.cat(hDone, 0);
        Tensor cN = null;
        if (c != null) {
            cDone.add(c);
            java.util.Collections.reverse(cDone);
            cN = cDone.size() == 1 ? cDone.get(0) : Tensor.cat(cDone, 0);
        }
        return new Tensor[] {out, hN, cN};
    }

    /** One fused layer direction over {@code x (T, B, in)}: (T, B, W + H) for LSTM (h then c), (T, B, H) for GRU. */
    private Tensor layerDirection(Tensor x, Tensor h, Tensor c, String sfx, boolean rev) {
        Tensor wIh = param("weight_ih" + sfx);
        Tensor wHh = param("weight_hh" + sfx);
        Tensor bIh = bias ? param("bias_ih" + sfx) : null;
        Tensor bHh = bias ? param("bias_hh" + sfx) : null;
        if (gates != 4) {
            return Recurrent.gruLayer(x, h, wIh, wHh, bIh, bHh, rev);
        }
        if (projSize > 0) {
            return Recurrent.lstmLayerProjected(x, h, c, wIh, wHh, bIh, bHh, param("weight_hr" + sfx), rev);
        }
        return Recurrent.lstmLayer(x, h, c, wIh, wHh, bIh, bHh, rev);
    }

    @Override
    public String extraRepr() {
        StringBuilder s = new StringBuilder().append(inputSize).append(", ").append(hiddenSize);
        if (projSize != 0) {
            s.append(", proj_size=").append(projSize);
        }
        if (numLayers != 1) {
            s.append(", num_layers=").append(numLayers);
        }
        if (!bias) {
            s.append(", bias=False");
        }
        if (batchFirst) {
            s.append(", batch_first=True");
        }
        if (dropout != 0) {
            s.append(", dropout=").append(Py.repr(dropout));
        }
        if (bidirectional) {
            s.append(", bidirectional=True");
        }
        return s.toString();
    }
}
