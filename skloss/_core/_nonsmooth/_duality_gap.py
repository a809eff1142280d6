r"""A certified bound on a penalised kinked fit's distance to its optimum: a duality gap.

For a loss linear on each side of a kink at ``raw == y``, with slopes
``a < 0`` below the kink and ``b > 0`` above (``loss.kink_slopes()``), each
sample's loss is

.. math::

    l_i(z) = \max_{a \le v \le b} v\,(z - y_i).

So for any slopes ``v`` within ``[a, b]`` and ``g_i = s_i v_i`` (``s`` the
normalised weights), the objective

.. math::

    P(W, c) = \sum_i s_i\, l_i(x_i W + c + o_i) + \frac{\alpha}{2} \|W\|^2

is at least the Lagrangian ``sum_i g_i (x_i W + c + o_i - y_i) + alpha/2
||W||^2``, whose least value over ``W`` (within its bounds, if any) and an
unpenalised intercept ``c`` (finite only if ``sum_i g_i = 0``) is the dual

.. math::

    D(g) = g \cdot (o - y) + \sum_k \min_{l_k \le W_k \le u_k}
        \Big((X^T g)_k W_k + \frac{\alpha}{2} W_k^2\Big),

each inner minimum at ``W_k = clip(-(X^T g)_k / alpha, l_k, u_k)``. Hence
``P(W, c) - D(g) >= P(W, c) - min P`` for every such ``g``: a certified
gap. The slopes used are the smoothed loss's at the returned point (within
``[a, b]``, and the dual solution of the smoothed problem), shifted within
``[a, b]`` so that their weighted sum is zero.

Without a penalty, ``D`` is finite only where ``X^T g`` vanishes exactly,
which the slopes of a smoothed solution never do: no gap is certified.
"""

import numpy as np

# Bisection steps for the shift that balances the slopes: each halves an
# interval of the size of the slopes, so 100 reach float64 rounding.
_BALANCING_STEPS = 100


def duality_gap(objective, theta, smooth):
    """``P(theta) - D(g)`` (see the module), or None if no gap can be certified.

    Parameters
    ----------
    objective : LinearObjective
        Of a loss with its kink at ``raw == y`` and without a linear term.
    theta : ndarray
        The returned point, in the objective's coordinates.
    smooth : Loss
        The last smoothed loss, whose slopes at ``theta`` give the dual point.

    Returns
    -------
    float or None
        The gap in the objective's units; None when ``alpha = 0`` (or for a
        sub-problem with a linear term).
    """
    problem = objective.problem
    if problem.alpha == 0 or problem.linear_term is not None:
        return None
    data = problem.data
    low, high = (
        np.broadcast_to(np.asarray(s, dtype=float), (problem.n_outputs,))
        for s in objective.loss.kink_slopes()
    )
    slopes = np.clip(smooth.gradient(data.y, objective.raw_output(theta)), low, high)
    if problem.fit_intercept:
        slopes = _balanced(slopes, data.sample_weight, low, high)
    g = data.sample_weight[:, np.newaxis] * slopes
    (products,) = data.sum_over_blocks(_float64_transposed_products, g)
    coef = -products / problem.alpha
    if problem.coef_bounds is not None:
        coef = np.clip(coef, *problem.coef_bounds)
    offset = 0.0 if data.offset is None else data.offset
    dual = float(np.sum(g * (offset - data.y))) + float(
        np.sum(products * coef + 0.5 * problem.alpha * coef**2)
    )
    return max(objective.exact_value(theta) - dual, 0.0)


def _balanced(slopes, weight, low, high):
    """Slopes moved within ``[low, high]``, per output, so that their weighted sum is zero.

    Moving a sample's slope by ``t`` moves the dual by ``t`` times its
    residual: the samples inside the smoothing zone (slopes strictly
    between the two), whose residuals are smallest, move first, all by one
    shift ``t`` found by bisection (the weighted sum grows with ``t``); all
    samples move only if those cannot balance the sum. The rounding left
    is taken up by one sample with room inside its range.
    """
    slopes = slopes.copy()
    for j in range(slopes.shape[1]):
        v = slopes[:, j]
        inside = (weight > 0) & (v > low[j]) & (v < high[j])
        fixed = float(weight[~inside] @ v[~inside])
        room = weight[inside].sum()
        moving = inside if fixed + low[j] * room <= 0 <= fixed + high[j] * room else weight > 0
        v[moving] = _shifted_to_balance(
            v[moving], weight[moving], weight[~moving] @ v[~moving], low[j], high[j]
        )
        excess = float(weight @ v)
        room = np.flatnonzero((weight > 0) & (v > low[j]) & (v < high[j]))
        if len(room):
            i = room[np.argmax(weight[room])]
            v[i] = np.clip(v[i] - excess / weight[i], low[j], high[j])
        slopes[:, j] = v
    return slopes


def _shifted_to_balance(v, weight, rest, low, high):
    """``clip(v + t, low, high)`` with ``weight @ it + rest`` as close to zero as bisection gets."""
    lower, upper = low - np.max(v, initial=0.0), high - np.min(v, initial=0.0)
    for _ in range(_BALANCING_STEPS):
        middle = 0.5 * (lower + upper)
        if weight @ np.clip(v + middle, low, high) + rest < 0:
            lower = middle
        else:
            upper = middle
    return np.clip(v + 0.5 * (lower + upper), low, high)


def _float64_transposed_products(block, g):
    """``X_b^T g_b`` computed in float64 (a float32 block is upcast, one block at a time)."""
    return (np.asarray(block.XT @ g[block.rows], dtype=float),)
