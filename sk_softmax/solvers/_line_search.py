"""The Newton solvers' backtracking line search, and the step it tries first.

Decided by values where float arithmetic can tell them apart, by the
gradient where it cannot (near the optimum, where a Newton step still
halves the number of wrong digits: see :mod:`.newton`).
"""

import math

from ._base import EPS


def line_search(
    objective, coef, value, grad, direction, first=1.0, eps=EPS, trials=40, untold=False
):  # fmt: skip
    """Backtracking line search that can trust the gradient near the optimum.

    Accepts the first step ``t`` in ``first`` (if above 1), 1, 1/2, 1/4, ...
    (``trials`` of them at most) that satisfies the Armijo condition ``f(x +
    t d) <= f(x) + 1e-4 t g.d``. When the decrease the step promises is
    below the resolution of ``f`` (``64 eps |f|``: the function can no
    longer tell), it accepts the step if it shrinks the gradient instead;
    with ``untold``, such a step that does not ends the search (shorter
    ones promise still less), as does a step whose value is not finite:
    float32 passes, which float64 ones then replace (a value beyond
    float32's range in ``X``, on a row of no weight, makes every float32
    trial NaN: 40 of them took a warm refit 3.3 times as long, in a
    review's run). Returns ``(coef, value, grad, t)``, or ``None`` on
    failure.
    """
    slope = float(grad @ direction)
    if not slope < 0:
        return None
    least = resolution(value, eps)
    t = first
    for _ in range(trials):
        trial = coef + direction if t == 1.0 else coef + t * direction
        trial_value, trial_grad = objective.loss_gradient(trial)
        if math.isfinite(trial_value):
            if trial_value <= value + 1e-4 * t * slope:
                return trial, trial_value, trial_grad, t
            if -t * slope <= least:
                if trial_grad @ trial_grad < grad @ grad:
                    return trial, trial_value, trial_grad, t
                if untold:
                    return None
        elif untold:
            return None
        t = 1.0 if t > 1.0 else 0.5 * t
    return None


def resolution(value, eps):
    """The least change of ``value`` that its arithmetic (``eps``) can tell: ``64 eps |f|``."""
    return 64 * eps * max(1.0, abs(value))


def first_step(t, slope, end_slope):
    """The step to try first along the next Newton direction, from how the last one ended.

    ``slope`` and ``end_slope`` are the derivatives along the last direction
    at its start and where the accepted step ``t`` ended. Far from the
    optimum the cross-entropy's curvature falls along a Newton step (the
    probabilities saturate), so the step stops short: the function still
    descends there. When more than ``_SHORT`` of the slope is left, the next
    step tries first the secant estimate of the last line's minimum, ``t /
    (1 - end_slope / slope)``, at most ``_LONGEST``; near the optimum
    (quadratic convergence, the slope left about zero) it tries 1. No
    evaluation is added when that step is accepted; one when it is not.
    Measured (default fits, the 17 tables of bench_fit.py, iterations): 167
    -> 149 in all, fewer on 12 (iris 8 -> 6, wine and the breast cancer data
    9 -> 7, texture-like 21 -> 18, optdigits-like 18 -> 16), more on 2
    (libras-like 8 -> 9, vowel-like 7 -> 8: a longer step overshot); at
    ``C=100`` 209 -> 186, at ``C=0.01`` 131 -> 121.
    """
    left = end_slope / slope
    if not left > _SHORT:
        return 1.0
    longer = min(_LONGEST, t / max(1.0 - left, t / _LONGEST))
    return longer if longer > 1.0 else 1.0  # never below the Newton step


# The share of the slope left after a step above which the next step tries longer, and its cap.
_SHORT, _LONGEST = 0.1, 2.0
