package dev.vgrad.nn;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vgrad.core.Autograd;
import dev.vgrad.core.DType;
import dev.vgrad.core.Tensor;
import dev.vgrad.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Higher-order gradients against PyTorch 1.13 (docs/SEMANTICS.md §5.12), float64 with the §12 tolerances:
 * Hessian-vector products and WGAN-GP gradient penalties through a small MLP (Linear-Tanh-Linear), a small CNN
 * (Conv2d-ReLU-MaxPool2d-Flatten-Linear) and the CNN with BatchNorm2d in training mode. Fixture:
 * {@code tools/fixtures/higher_fixtures.py}.
 */
class HigherOrderConformanceTest {
    private static final DType D = DType.FLOAT64;

    private static Tensor forward(String model, Map<String, Tensor> p, Tensor x) {
        if (model.equals("mlp")) {
            return F.linear(F.linear(x, p.get("w1"), p.get("b1")).tanh(), p.get("w2"), p.get("b2"));
        }
        Tensor h = F.conv2d(x, p.get("cw"), p.get("cb"), new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
        if (model.equals("cnn_bn")) {
            h = F.batchNorm(h, null, null, p.get("gamma"), p.get("beta"), true, 0.1, 1e-5);
        }
        h = F.maxPool2d(h.relu(), new int[] {2, 2}, null, new int[] {0, 0}, new int[] {1, 1}, false);
        return F.linear(h.reshape(h.shape()[0], -1), p.get("lw"), p.get("lb"));
    }

    @Test
    void hessianVectorProductsAndGradientPenaltiesMatchPyTorch() {
        Map<String, Object> root = Fixtures.load("higher_order.json");
        int n = 0;
        for (Map<String, Object> c : Fixtures.cases(root)) {
            String name = (String) c.get("name");
            String model = (String) c.get("model");
            Map<String, Object> paramsNode = Fixtures.map(c, "params");
            Map<String, Tensor> p = new LinkedHashMap<>();
            for (String k : paramsNode.keySet()) {
                p.put(k, Fx.t(paramsNode, k, D).requiresGrad(true));
            }
            Tensor[] ps = p.values().toArray(new Tensor[0]);
            List<String> names = new ArrayList<>(p.keySet());
            Map<String, Object> inputs = Fixtures.map(c, "inputs");
            Tensor x = Fx.t(inputs, "x", D);
            if (c.get("kind").equals("hvp")) {
                Tensor target = Fx.t(inputs, "target", D);
                Tensor out = forward(model, p, x);
                Tensor loss = model.equals("mlp") ? F.mseLoss(out, target) : F.crossEntropy(out, target);
                Fx.close(Fixtures.tensor(c, "loss"), loss, D, name + " loss");
                Tensor[] grads = Autograd.grad(loss, ps, null, true, true);
                Map<String, Object> v = Fixtures.map(inputs, "v");
                Tensor s = null;
                for (int i = 0; i < ps.length; i++) {
                    Fx.close(Fixtures.tensor(Fixtures.map(c, "grads"), names.get(i)), grads[i], D,
                            name + " grad " + names.get(i));
                    Tensor term = grads[i].mul(Fx.t(v, names.get(i), D)).sum();
                    s = s == null ? term : s.add(term);
                }
                s.backward();
                for (int i = 0; i < ps.length; i++) {
                    Tensor hv = ps[i].grad() == null ? ps[i].zerosLike() : ps[i].grad();
                    Fx.close(Fixtures.tensor(Fixtures.map(c, "hvp"), names.get(i)), hv, D, name + " hvp " + names.get(i));
                }
            } else {
                Tensor xr = x.requiresGrad(true);
                Tensor gx = Autograd.grad(forward(model, p, xr).sum(), new Tensor[] {xr}, null, true, true)[0];
                assertNotNull(gx.gradFn(), name + ": a createGraph gradient has history");
                Tensor norm = gx.reshape(gx.shape()[0], -1).pow(2).sum(1).sqrt();
                Tensor gp = norm.sub(1).pow(2).mean();
                Fx.close(Fixtures.tensor(c, "gp"), gp, D, name + " gp");
                gp.backward();
                for (int i = 0; i < ps.length; i++) {
                    Tensor g = ps[i].grad() == null ? ps[i].zerosLike() : ps[i].grad();
                    Fx.close(Fixtures.tensor(Fixtures.map(c, "param_grads"), names.get(i)), g, D,
                            name + " gp grad " + names.get(i));
                }
            }
            n++;
        }
        System.out.println("[issue16] HigherOrderConformanceTest: " + n + " PyTorch cases compared, 0 failures");
    }
}
