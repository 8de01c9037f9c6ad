package dev.vgrad.optim;

import static dev.vgrad.core.testing.BadInput.pick;

import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.BadInput;
import dev.vgrad.core.testing.BadInput.Call;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Optimizer and scheduler constructors (and gradient clipping) driven with random invalid hyper-parameters (negative
 * or NaN learning rates, betas outside [0, 1), empty / null / non-leaf parameter lists, non-positive periods, …):
 * each must fail with IllegalArgumentException / IllegalStateException naming the parameter or class.
 */
@DisplayName("Bad input (optimizers, schedulers, clipping): random invalid hyper-parameters fail clearly")
class BadInputPropertyTest {

    private static Call call(String what, BadInput.ThrowingRunnable run, String... names) {
        return new Call(what, run, names);
    }

    private static List<Tensor> params() {
        return List.of(Tensor.ones(2, 2).requiresGrad(true), Tensor.zeros(3).requiresGrad(true));
    }

    private static double badNonNeg(Random r) {
        return pick(r, -1e-3, -1.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    private static double badBeta(Random r) {
        return pick(r, -0.1, 1.0, 1.5, Double.NaN);
    }

    private static List<?> badParams(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> List.of();
            case 1 -> List.of(Tensor.ones(2).requiresGrad(true).mul(2));
            case 2 -> {
                List<Tensor> l = new ArrayList<>();
                l.add(null);
                yield l;
            }
            default -> List.of("not a tensor");
        };
    }

    private static final String[] PARAMS = {"optimizer got an empty parameter list", "can't optimize a non-leaf Tensor",
        "params", "parameter", "Tensor"};

    @TestFactory
    Stream<DynamicTest> everyConstructorRejectsInvalidHyperParameters() {
        BadInput b = new BadInput("optim");
        b.add("SGD", r -> switch (r.nextInt(6)) {
            case 0 -> call("lr", () -> new SGD(params(), badNonNeg(r)), "Invalid learning rate");
            case 1 -> call("momentum", () -> new SGD(params(), SGD.options().lr(0.1).momentum(badNonNeg(r))),
                    "Invalid momentum value");
            case 2 -> call("weight decay", () -> new SGD(params(), SGD.options().lr(0.1).weightDecay(badNonNeg(r))),
                    "Invalid weight_decay value");
            case 3 -> call("nesterov", () -> new SGD(params(), SGD.options().lr(0.1).nesterov(true)
                    .momentum(pick(r, 0.0, 0.9)).dampening(pick(r, 0.1, 0.5))), "Nesterov momentum requires");
            case 4 -> call("dampening NaN", () -> new SGD(params(), SGD.options().lr(0.1).momentum(0.9)
                    .dampening(Double.NaN)), "dampening");
            default -> call("params", () -> new SGD(badParams(r), 0.1), PARAMS);
        });
        b.add("Adam/AdamW", r -> {
            boolean w = r.nextBoolean();
            return switch (r.nextInt(6)) {
                case 0 -> call("lr", () -> make(w, params(), Adam.options().lr(badNonNeg(r))), "Invalid learning rate");
                case 1 -> call("beta1", () -> make(w, params(), Adam.options().betas(badBeta(r), 0.999)),
                        "Invalid beta parameter at index 0");
                case 2 -> call("beta2", () -> make(w, params(), Adam.options().betas(0.9, badBeta(r))),
                        "Invalid beta parameter at index 1");
                case 3 -> call("eps", () -> make(w, params(), Adam.options().eps(badNonNeg(r))), "Invalid epsilon value");
                case 4 -> call("weight decay", () -> make(w, params(), Adam.options().weightDecay(badNonNeg(r))),
                        "Invalid weight_decay value");
                default -> call("params", () -> new Adam(badParams(r)), PARAMS);
            };
        });
        b.add("RMSprop", r -> switch (r.nextInt(5)) {
            case 0 -> call("lr", () -> new RMSprop(params(), badNonNeg(r)), "Invalid learning rate");
            case 1 -> call("alpha", () -> new RMSprop(params(), RMSprop.options().alpha(badNonNeg(r))),
                    "Invalid alpha value");
            case 2 -> call("eps", () -> new RMSprop(params(), RMSprop.options().eps(badNonNeg(r))), "Invalid epsilon value");
            case 3 -> call("momentum", () -> new RMSprop(params(), RMSprop.options().momentum(badNonNeg(r))),
                    "Invalid momentum value");
            default -> call("params", () -> new RMSprop(badParams(r)), PARAMS);
        });
        b.add("Adagrad", r -> switch (r.nextInt(5)) {
            case 0 -> call("lr", () -> new Adagrad(params(), badNonNeg(r)), "Invalid learning rate");
            case 1 -> call("lr_decay", () -> new Adagrad(params(), Adagrad.options().lrDecay(badNonNeg(r))),
                    "Invalid lr_decay value");
            case 2 -> call("initial accumulator", () -> new Adagrad(params(), Adagrad.options()
                    .initialAccumulatorValue(badNonNeg(r))), "Invalid initial_accumulator_value value");
            case 3 -> call("eps", () -> new Adagrad(params(), Adagrad.options().eps(badNonNeg(r))), "Invalid epsilon value");
            default -> call("params", () -> new Adagrad(badParams(r)), PARAMS);
        });
        b.add("schedulers", r -> {
            Optimizer o = new SGD(params(), SGD.options().lr(0.1).momentum(0.9));
            return switch (r.nextInt(12)) {
                case 0 -> call("StepLR step", () -> new StepLR(o, pick(r, 0, -1, Integer.MIN_VALUE)), "step_size");
                case 1 -> call("StepLR gamma", () -> new StepLR(o, 2, pick(r, Double.NaN, Double.POSITIVE_INFINITY)),
                        "StepLR", "gamma");
                case 2 -> call("Cosine T_max", () -> new CosineAnnealingLR(o, pick(r, 0, -3)), "T_max");
                case 3 -> call("Cosine eta_min", () -> new CosineAnnealingLR(o, 4, Double.NaN), "CosineAnnealingLR",
                        "eta_min");
                case 4 -> call("LinearLR factors", () -> new LinearLR(o, pick(r, 0.0, -0.5, 1.5, Double.NaN), 1.0, 3),
                        "multiplicative factor");
                case 5 -> call("LinearLR iters", () -> new LinearLR(o, 0.5, 1.0, pick(r, 0, -1)), "LinearLR", "total_iters");
                case 6 -> call("MultiStepLR milestones", () -> new MultiStepLR(o, null), "MultiStepLR", "milestones");
                case 7 -> call("ExponentialLR gamma", () -> new ExponentialLR(o, pick(r, Double.NaN, -1.0)),
                        "ExponentialLR", "gamma");
                case 8 -> call("OneCycleLR steps", () -> new OneCycleLR(o, 0.1, pick(r, 0, -5)), "total_steps");
                case 9 -> call("OneCycleLR pct", () -> new OneCycleLR(o, OneCycleLR.options(0.1).totalSteps(10)
                        .pctStart(pick(r, -0.1, 1.1, Double.NaN))), "pct_start");
                case 10 -> call("OneCycleLR max_lr", () -> new OneCycleLR(o, pick(r, Double.NaN, -1.0), 10), "OneCycleLR",
                        "max_lr");
                default -> call("null optimizer", () -> new StepLR(null, 2), "Optimizer");
            };
        });
        b.add("SequentialLR", r -> {
            Optimizer o = new SGD(params(), 0.1);
            Optimizer other = new SGD(params(), 0.1);
            return switch (r.nextInt(3)) {
                case 0 -> call("milestones count", () -> new SequentialLR(o, List.of(new StepLR(o, 2), new StepLR(o, 2)),
                        new int[] {1, 2}), "Sequential Schedulers");
                case 1 -> call("other optimizer", () -> new SequentialLR(o, List.of(new StepLR(o, 2),
                        new StepLR(other, 2)), new int[] {1}), "Sequential Schedulers");
                default -> call("null list", () -> new SequentialLR(o, null, new int[0]), "SequentialLR", "schedulers");
            };
        });
        b.add("ClipGrad", r -> {
            List<Tensor> ps = params();
            for (Tensor p : ps) {
                p.setGrad(Tensor.ones(p.shape()));
            }
            return switch (r.nextInt(3)) {
                case 0 -> call("max_norm", () -> ClipGrad.clipGradNorm(ps, pick(r, Double.NaN, -1.0)), "max_norm",
                        "clip_grad_norm");
                case 1 -> call("norm type", () -> ClipGrad.clipGradNorm(ps, 1.0, pick(r, 0.0, -1.0, Double.NaN)),
                        "norm_type", "clip_grad_norm");
                default -> call("clip value", () -> ClipGrad.clipGradValue(ps, pick(r, Double.NaN, -1.0)), "clip_value",
                        "clip_grad_value");
            };
        });
        return b.tests();
    }

    private static Optimizer make(boolean adamW, List<Tensor> ps, Adam.Options o) {
        return adamW ? new AdamW(ps, o) : new Adam(ps, o);
    }
}
