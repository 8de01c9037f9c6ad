package dev.vgrad.optim;

import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.List;
import java.util.Map;

/** Builds optimizers and schedulers from fixture-style (PyTorch keyword) descriptions. */
final class TestSupport {
    private TestSupport() {
    }

    static Map<String, Object> defaultsOf(String type) {
        return switch (type) {
            case "SGD" -> SGD.options().map;
            case "Adam" -> Adam.options().map;
            case "AdamW" -> AdamW.options().map;
            case "RMSprop" -> RMSprop.options().map;
            case "Adagrad" -> Adagrad.options().map;
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** An optimizer of PyTorch class {@code type} with keyword args {@code args} over {@code params}. */
    static Optimizer make(String type, Map<String, Object> args, List<?> params) {
        switch (type) {
            case "SGD" -> {
                SGD.Options o = SGD.options();
                putAll(o.map, args);
                return new SGD(params, o);
            }
            case "Adam" -> {
                Adam.Options o = Adam.options();
                putAll(o.map, args);
                return new Adam(params, o);
            }
            case "AdamW" -> {
                Adam.Options o = AdamW.options();
                putAll(o.map, args);
                return new AdamW(params, o);
            }
            case "RMSprop" -> {
                RMSprop.Options o = RMSprop.options();
                putAll(o.map, args);
                return new RMSprop(params, o);
            }
            case "Adagrad" -> {
                Adagrad.Options o = Adagrad.options();
                putAll(o.map, args);
                return new Adagrad(params, o);
            }
            default -> throw new IllegalArgumentException(type);
        }
    }

    private static void putAll(Map<String, Object> target, Map<String, Object> args) {
        if (args == null) {
            return;
        }
        for (Map.Entry<String, Object> e : args.entrySet()) {
            target.put(e.getKey(), ParamGroup.normalize(e.getKey(), e.getValue()));
        }
    }

    static Tensor tensor(Fixtures.FixtureTensor f, DType dtype) {
        Tensor t = Tensor.of(f.data(), f.shape());
        return dtype == DType.FLOAT64 ? t : t.toFloat();
    }
}
