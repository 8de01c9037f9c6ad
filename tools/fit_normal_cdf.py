#!/usr/bin/python3
"""Fits the float32 polynomials of the SIMD normal CDF behind GELU (core/.../kernel/VectorMath.java).

  |x| <= 1:  Phi(x) = 1/2 + x A(x^2)
  |x| > 1:   with t = |x|, the upper tail 1 - Phi(t) = e^(-t^2/2) R(t), R(t) = M(t)/sqrt(2 pi) (M is Mills'
             ratio), and R is a polynomial in u = 1/(1 + 0.3 t) on [1, 14.5] (beyond, the exponential
             underflows float32); Phi(x) is the tail for x < 0 and 1 - tail for x > 0, with no 1 + erf
             cancellation.

Each fit minimises the maximum relative error by iteratively reweighted least squares (Lawson's algorithm) on
Chebyshev nodes against mpmath at 40 digits; the coefficients are rounded to float32 one at a time from the
constant term up, the others refitted each time. Needs numpy and mpmath (Debian: python3-numpy,
python3-mpmath; both come with python3-torch).

    /usr/bin/python3 tools/fit_normal_cdf.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40


def half_erf_over_x(x):
    if x == 0:
        return float(1 / mp.sqrt(2 * mp.pi))
    return float(mp.erf(mp.mpf(x) / mp.sqrt(2)) / 2 / x)


def mills_over_sqrt_2pi(t):
    """M(t)/sqrt(2 pi): the tail is then e^(-t^2/2) times this, one rounding fewer than phi(t) M(t)."""
    t = mp.mpf(t)
    return float(mp.erfc(t / mp.sqrt(2)) / 2 / mp.exp(-t * t / 2))


def lawson(a, ys, w, rounds=30):
    weights = np.ones(len(ys))
    for _ in range(rounds):
        c, *_ = np.linalg.lstsq(a * (w * weights)[:, None], ys * w * weights, rcond=None)
        err = (a @ c - ys) * w
        weights = weights * np.abs(err) ** 0.5 + 1e-300
        weights /= weights.sum()
    return c


def fit(fun, var, lo, hi, deg, n=3000):
    k = np.arange(n)
    xs = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / n)
    ys = np.array([fun(x) for x in xs])
    a = np.vander(var(xs), deg + 1)  # highest power first, as Horner's rule reads it
    w = 1 / np.abs(ys)
    # round the coefficients to float32 one at a time from the constant term up, refitting the others each time
    # so that they absorb the rounding of the ones already fixed
    fixed = []
    for j in range(deg, -1, -1):
        rest = ys - (a[:, j + 1:] @ np.array(fixed[::-1]) if fixed else 0)
        c = lawson(a[:, :j + 1], rest, w)
        fixed.append(float(np.float32(c[-1])))
    c32 = np.array(fixed[::-1], dtype=np.float32)
    return c32, np.max(np.abs((a @ c32.astype(np.float64) - ys) * w))


def main():
    pieces = [
        ("A(x^2), x in [0, 1]", half_erf_over_x, lambda x: x * x, 1e-6, 1.0, 6),
        ("R(u), u = 1/(1 + 0.3 t), t in [1, 14.5]", mills_over_sqrt_2pi, lambda t: 1 / (1 + 0.3 * t), 1.0, 14.5, 8),
    ]
    for name, fun, var, lo, hi, deg in pieces:
        c32, err = fit(fun, var, lo, hi, deg)
        print(f"{name}: max relative error {err:.2e} with float32 coefficients")
        print("    " + ", ".join(np.format_float_scientific(v, unique=True, trim="-") + "f" for v in c32))


if __name__ == "__main__":
    main()
