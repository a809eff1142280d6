"""The starting intercept of a fit with offsets: the loss's best constant, given them.

Without offsets it is the loss's own ``init_raw``. With offsets ``o`` the
best constant ``c`` minimises ``sum_i w_i l(y_i, o_i + c)``, which
``init_raw`` does not know about (for the Poisson loss it is
``log(sum w y / sum w e^o)``): a loss that depends on ``raw - y`` alone
(kinked at the target) gets ``init_raw(y - o)``, exactly; a smooth loss a
few L-BFGS steps over the intercept alone, one pass over y and the offsets
(never X) per step, from ``init_raw(y)`` less the mean offset.
"""

from ._lbfgs import lbfgs

# Steps of the intercept-only fit: it starts the real fit, which corrects
# any remainder, so it need not run long.
_MAX_STEPS = 50


def _constant_kernel(block, intercept, loss):
    """The block's weighted loss sum at ``raw = b + o`` and its gradient in ``b``."""
    raw = block.offset + intercept
    mean, raw_gradient = loss.loss_gradient(block.y, raw, block.weight)
    return block.share * mean, block.share * raw_gradient.sum(axis=0)


def starting_intercept(problem, loss, tol):
    """The intercept a fit with offsets starts from.

    Parameters
    ----------
    problem : FitProblem
    loss : Loss
    tol : float
        Gradient tolerance of the intercept-only fit.

    Returns
    -------
    ndarray of shape (n_outputs,)
    """
    data = problem.data
    weight = data.sample_weight
    if loss.kink_at_target:
        return loss.init_raw(data.y - data.offset, weight)
    start = loss.init_raw(data.y, weight) - weight @ data.offset / data.weight_sum
    if not loss.is_smooth:
        return start
    intercept, *_ = lbfgs(
        lambda b: data.sum_over_blocks(_constant_kernel, b, loss), start, _MAX_STEPS, tol
    )
    return intercept
