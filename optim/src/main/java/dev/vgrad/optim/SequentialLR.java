package dev.vgrad.optim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs schedulers one after another, switching at the milestones (PyTorch's {@code SequentialLR}): at epoch
 * {@code e} the scheduler {@code k = #milestones ≤ e} steps; on reaching a milestone that scheduler restarts from
 * its epoch 0 (closed form), so e.g. a cosine phase starts at its base learning rate.
 *
 * <p>Construction resets the groups' {@code lr} to {@code initial_lr}, undoes the initial step of every child and
 * repeats only the first child's initial step.
 */
public final class SequentialLR extends LRScheduler {
    private final List<LRScheduler> schedulers;
    private int[] milestones;

    /**
     * Chains {@code schedulers}, switching to scheduler {@code k} at epoch {@code milestones[k-1]}.
     *
     * @param optimizer  the optimizer all schedulers drive
     * @param schedulers the phases in order, already constructed on {@code optimizer}; none a SequentialLR
     * @param milestones the switch epochs, one fewer than schedulers (copied)
     * @throws IllegalArgumentException for null arguments, a scheduler of another optimizer, a nested
     *                                  SequentialLR or a wrong number of milestones (PyTorch's messages)
     */
    public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, int[] milestones) {
        super(optimizer);
        if (schedulers == null || milestones == null || schedulers.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("SequentialLR: schedulers and milestones must be non-null");
        }
        for (int i = 0; i < schedulers.size(); i++) {
            if (schedulers.get(i).optimizer() != optimizer) {
                throw new IllegalArgumentException("Sequential Schedulers expects all schedulers to belong to the "
                        + "same optimizer, but got schedulers at index " + i + " to be different than the optimizer "
                        + "passed in.");
            }
            if (schedulers.get(i) instanceof SequentialLR) {
                throw new IllegalArgumentException("SequentialLR cannot contain a SequentialLR");
            }
        }
        if (milestones.length != schedulers.size() - 1) {
            throw new IllegalArgumentException("Sequential Schedulers expects number of schedulers provided to be one "
                    + "more than the number of milestone points, but got number of schedulers " + schedulers.size()
                    + " and the number of milestones to be equal to " + milestones.length);
        }
        this.schedulers = List.copyOf(schedulers);
        this.milestones = milestones.clone();
        this.lastEpoch = 0;
        for (ParamGroup g : optimizer.paramGroups()) {
            g.set("lr", g.getDouble("initial_lr"));
        }
        for (LRScheduler s : this.schedulers) {
            s.lastEpoch -= 1;
        }
        this.schedulers.get(0).initialStep();
        this.lastLr = this.schedulers.get(0).getLastLr();
    }

    @Override
    public void step() {
        lastEpoch++;
        int idx = 0;
        while (idx < milestones.length && milestones[idx] <= lastEpoch) {
            idx++;
        }
        LRScheduler s = schedulers.get(idx);
        if (idx > 0 && milestones[idx - 1] == lastEpoch) {
            s.stepTo(0);
        } else {
            s.step();
        }
        lastLr = s.getLastLr();
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException("SequentialLR delegates to its schedulers");
    }

    @Override
    public boolean callOrderWarned() {
        for (LRScheduler s : schedulers) {
            if (s.callOrderWarned()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The child schedulers.
     *
     * @return an unmodifiable list of the phases, in order (the live schedulers)
     */
    public List<LRScheduler> schedulers() {
        return schedulers;
    }

    @Override
    protected void saveExtra(Map<String, Object> m) {
        List<Integer> ms = new ArrayList<>();
        for (int x : milestones) {
            ms.add(x);
        }
        m.put("_milestones", ms);
        List<Map<String, Object>> children = new ArrayList<>();
        for (LRScheduler s : schedulers) {
            children.add(s.stateDict());
        }
        m.put("_schedulers", children);
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void checkExtra(Map<String, Object> m) {
        int[] ms = intsOf(m, "_milestones");
        if (ms.length != milestones.length || !(m.get("_schedulers") instanceof List<?> l)
                || l.size() != schedulers.size()) {
            throw new IllegalArgumentException("SequentialLR state dict does not match this scheduler's structure");
        }
        for (int i = 0; i < l.size(); i++) {
            if (!(l.get(i) instanceof Map<?, ?> child)) {
                throw new IllegalArgumentException("SequentialLR state dict has a malformed child " + i);
            }
            schedulers.get(i).prepareLoad((Map<String, Object>) child);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void loadExtra(Map<String, Object> m) {
        int[] ms = intsOf(m, "_milestones");
        System.arraycopy(ms, 0, milestones, 0, ms.length);
        List<?> l = (List<?>) m.get("_schedulers");
        for (int i = 0; i < l.size(); i++) {
            schedulers.get(i).loadStateDict((Map<String, Object>) l.get(i));
        }
    }
}
