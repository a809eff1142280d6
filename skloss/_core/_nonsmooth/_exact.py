"""Exact finish for losses that are linear on each side of a kink at ``raw == y``.

The absolute-error and pinball losses make the fitting problem a linear
program (``alpha = 0``) or a quadratic program (``alpha > 0``). Smoothing
continuation brings L-BFGS close to the optimum; this module then jumps onto
it and proves it optimal:

- ``alpha = 0``: the samples with the smallest residuals give a vertex
  (``n_params`` residuals exactly zero). Its dual multipliers say whether it
  is optimal; if not, simplex pivots (the Barrodale-Roberts line search
  along an edge) move to a better vertex until it is.
- ``alpha > 0``: a primal active-set method. The samples inside the last
  smoothing zone start on their kinks (zero residual) and all others on
  their current side; each iteration solves the KKT system of that
  equality-constrained quadratic program, stops at the first sample that
  would cross its kink (which joins the kinks), or releases a kink sample
  whose multiplier left its subdifferential.

Either way, a candidate is certified when the KKT conditions of the
non-smooth convex problem hold exactly: each kink sample's multiplier lies
in its loss's subdifferential, and no other sample crossed its kink.

With coefficient bounds (``positive=True``), the coefficients the smoothed
solution holds at a bound stay fixed there and the step runs on the others
(:class:`_BoundedColumn`); the certificate adds that the free coefficients
are within their bounds and that each fixed one's multiplier pushes it
against its bound. If not, the coefficient that crossed is fixed, or the
one whose multiplier has the wrong sign released, and the step runs again.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.optimize

from .._moments import centred_moments, column_means, mean_squares

# The steps solve dense systems in about n_params unknowns.
MAX_PARAMS = 2000
# Pivot budget: a simplex run from a nearby vertex takes about n_params
# pivots; the active-set method gets extra steps for its first kinks.
_MAX_PIVOTS_PER_PARAM = 4
_EXTRA_SIMPLEX_PIVOTS, _EXTRA_ACTIVE_SET_STEPS = 10, 100
# Relative slack of the optimality checks (multipliers against the slopes,
# residual signs against the residual scale): rounding in the KKT solves
# is far below it, real violations far above.
_KKT_SLACK = 1e-9
# Residuals within this fraction of the residual scale count as on their
# kink when the active-set method watches for crossings.
_CROSSING_SLACK = 1e-12
# A row is independent of the chosen ones when more than this fraction of
# its norm is left after projecting them out.
_INDEPENDENCE = 1e-9
# A vertex is sought only when at most this many samples per parameter are
# within the smoothing zone (more: ties, far from a vertex, wait).
_MAX_NEAR_PER_PARAM = 4
# Beyond this share of samples changing side in a pivot, recomputing the
# gradient in one pass is cheaper than updating it sample by sample.
_RECOMPUTE_SHARE = 1 / 8
# Rounds of fixing and releasing bounded coefficients in the exact finish:
# the smoothed solution usually has the right ones at their bounds.
_MAX_BOUND_ROUNDS = 10
# Parameters whose pivot in the QR factorisation of the (unit-diagonal)
# Gram matrix falls below this fraction of the first are dependent: the
# Gram matrix squares X's conditioning, so this is about 1e-6 in X.
_RANK_TOLERANCE = 1e-12
# The degenerate certificate solves a dense problem in this many kink
# samples per parameter at most.
_MAX_DEGENERATE_KINKS_PER_PARAM = 50
# Iterative refinement steps of the active-set method's KKT solves: two
# took MedianRegressor(alpha=1e-3) on y in units of 1e30 from 1e8 times
# the optimal coefficients to the optimum, at one factorisation.
_REFINEMENT_STEPS = 2
# What _simplex returns when the nearest samples do not define a vertex.
_RANK_DEFICIENT = "rank deficient"
# Edge line search: start from this many nearest crossings, grow by this.
_FIRST_WINDOW, _WINDOW_GROWTH = 32, 4


class _Column:
    """One output column of the problem, with the intercept as a last feature.

    All data are read from the problem: X's rows through its data source,
    y less the offsets and the normalised weights, alpha, and its linear
    term (the samples a screened stage keeps only as a constant gradient).

    The parameters ``beta`` are in units of the features' sizes: feature j
    enters as ``x_j / u_j`` with ``u_j`` its root mean square, so the vertex
    and KKT systems, and the independence test of rows, are the same
    whatever the units of each column of X.
    """

    def __init__(self, problem, loss, j, feature_units):
        self.data = problem.data
        self.units = feature_units
        self.n_features = problem.n_features
        self.fit_intercept = problem.fit_intercept
        self.alpha = problem.alpha
        # The exact steps work on X beta; an offset moves into the target.
        self.y = problem.data.y[:, j]
        if problem.data.offset is not None:
            self.y = self.y - problem.data.offset[:, j]
        self.weight = problem.data.sample_weight
        below, above = (np.broadcast_to(s, (problem.n_outputs,))[j] for s in loss.kink_slopes())
        # Weighted loss gradients with respect to raw on each side of the
        # kink, constant there because the loss is linear.
        self.below = below * self.weight  # raw < y
        self.above = above * self.weight  # raw > y
        self.n_params = problem.n_params
        self.active = self.weight > 0
        self.linear = np.zeros(self.n_params)
        if problem.linear_term is not None:
            coef_term, intercept_term = problem.linear_term
            self.linear[: self.n_features] = coef_term[:, j] / feature_units
            if self.fit_intercept:
                self.linear[-1] = intercept_term[j]

    def rows(self, index):
        rows = self.data.dense_rows(index) / self.units
        if self.fit_intercept:
            rows = np.hstack([rows, np.ones((len(index), 1))])
        return rows

    def matvec(self, beta):
        coef, intercept = self.split(beta)
        raw = self.data.stack_over_blocks(_raw_kernel, coef[:, np.newaxis], intercept)
        return raw[:, 0]

    def rmatvec(self, g):
        (out,) = self.data.sum_over_blocks(_transposed_product_kernel, g)
        out = out / self.units
        return np.append(out, g.sum()) if self.fit_intercept else out

    def gradient(self, side_gradient):
        """Gradient in the parameters of the samples' losses with these slopes."""
        return self.rmatvec(side_gradient) + self.linear

    def split(self, beta):
        """``(coef, intercept)`` in X's units from ``beta``."""
        coef = beta[: self.n_features] / self.units
        return coef, (beta[-1] if self.fit_intercept else 0.0)

    def join(self, coef, intercept):
        """``beta`` from ``coef`` and ``intercept`` in X's units."""
        beta = coef * self.units
        return np.append(beta, intercept) if self.fit_intercept else beta

    def penalty_weights(self):
        """The penalty is ``alpha/2 sum_k p_k beta_k^2`` with these ``p``."""
        weights = np.zeros(self.n_params)
        weights[: self.n_features] = 1.0 / self.units**2
        return weights

    def value(self, beta):
        residual = self.y - self.matvec(beta)
        loss = np.where(residual > 0, self.below, self.above) * -residual
        coef = self.split(beta)[0]
        return float(loss.sum()) + 0.5 * self.alpha * float(coef @ coef) + self.linear @ beta

    def side_gradient(self, residual, kinks):
        """Each sample's loss gradient on its side of the kink; zero on a kink."""
        g = np.where(residual > 0, self.below, self.above)
        g[kinks] = 0.0
        return g

    def slope_slack(self):
        """Tolerance of a multiplier against the slopes."""
        return _KKT_SLACK * max(np.max(np.abs(self.below)), np.max(np.abs(self.above)))

    def certified(self, beta, kinks, multiplier, residual_before, scale):
        """KKT conditions: multipliers in range, nobody else crossed a kink."""
        low = np.minimum(self.below[kinks], self.above[kinks])
        high = np.maximum(self.below[kinks], self.above[kinks])
        slack = self.slope_slack()
        residual = self.y - self.matvec(beta)
        side_slack = _KKT_SLACK * scale
        crossed = ((residual_before > 0) & (residual < -side_slack)) | (
            (residual_before <= 0) & (residual > side_slack)
        )
        crossed[kinks] = False
        return bool(
            np.all(multiplier >= low - slack)
            and np.all(multiplier <= high + slack)
            and not np.any(crossed & self.active)
        )


class _BoundedColumn(_Column):
    """A column with some coefficients fixed at their bounds, solved in the others.

    ``fixed[k]`` is -1 (at the lower bound), 1 (at the upper) or 0 (free).
    The exact steps see a problem in the free coefficients (and the
    intercept) only: the fixed ones' share of the raw output moves into
    the target. :meth:`certified` adds the bound conditions and records in
    ``bound_moves`` what would repair them.
    """

    def __init__(self, problem, loss, j, feature_units, fixed):
        super().__init__(problem, loss, j, feature_units)
        # Bounds in the units of beta, the coefficients times the feature units.
        lower, upper = _bounds_in_units(problem, j, feature_units)
        self.lower, self.upper, self.fixed = lower, upper, fixed
        n_features = self.n_features
        self.fixed_coef = np.where(fixed < 0, lower, np.where(fixed > 0, upper, 0.0))
        self.free = np.flatnonzero(fixed == 0)
        self.free_params = np.append(self.free, n_features) if self.fit_intercept else self.free
        self.full_linear = self.linear
        self.linear = self.linear[self.free_params]
        self.full_penalty = super().penalty_weights()
        self.n_params = len(self.free_params)
        if np.any(self.fixed_coef != 0):
            self.y = self.y - super().matvec(self._full(self.fixed_coef, 0.0))
        self.bound_moves = None

    def _full(self, coef, intercept):
        return np.append(coef, intercept) if self.fit_intercept else coef

    def reduce(self, beta):
        """The free coefficients (and the intercept) of a full parameter vector."""
        return beta[self.free_params]

    def expand(self, reduced):
        """The full parameter vector: ``reduced`` with the fixed coefficients at their bounds."""
        full = self._full(self.fixed_coef, 0.0)
        full[self.free_params] = reduced
        return full

    def rows(self, index):
        return super().rows(index)[:, self.free_params]

    def matvec(self, beta):
        full = self._full(np.zeros(self.n_features), 0.0)
        full[self.free_params] = beta
        return super().matvec(full)

    def rmatvec(self, g):
        return super().rmatvec(g)[self.free_params]

    def penalty_weights(self):
        return self.full_penalty[self.free_params]

    def certified(self, beta, kinks, multiplier, residual_before, scale):
        """The kink conditions, the free coefficients within bounds, the multipliers' signs."""
        kink_conditions = super().certified(beta, kinks, multiplier, residual_before, scale)
        full = self.expand(beta)
        coef = full[: self.n_features]
        # The objective's gradient with the kink samples at their
        # multipliers: zero along the free coefficients, and along a fixed
        # one the multiplier of its bound.
        residual = self.y - self.matvec(beta)
        g = self.side_gradient(residual, kinks)
        g[kinks] = multiplier
        products = _Column.rmatvec(self, g)
        gradient = products + self.full_linear + self.alpha * self.full_penalty * full
        slack = _KKT_SLACK * max(1.0, float(np.max(np.abs(products))))
        coef_gradient = gradient[: self.n_features]
        wrong_sign = ((self.fixed < 0) & (coef_gradient < -slack)) | (
            (self.fixed > 0) & (coef_gradient > slack)
        )
        reach = _KKT_SLACK * max(1.0, float(np.max(np.abs(coef))))
        below, above = coef < self.lower - reach, coef > self.upper + reach
        # 2: release (the worst wrong sign only); -1 / 1: fix at the bound crossed.
        moves = np.where(below, -1, np.where(above, 1, 0))
        if not np.any(moves) and np.any(wrong_sign):
            violation = np.where(wrong_sign, np.abs(coef_gradient), 0.0)
            moves[int(np.argmax(violation))] = 2
        self.bound_moves = moves
        return kink_conditions and not np.any(moves)


def _feature_units(data):
    """Root mean square of each column of X (one where a column is zero)."""
    units = np.sqrt(mean_squares(data))
    return np.where(units > 0, units, 1.0)


def _raw_kernel(block, coef, intercept):
    """``X_b coef + intercept`` in X's precision."""
    raw = np.asarray(block.X @ coef.astype(block.X.dtype, copy=False), dtype=float)
    return raw + intercept


def _transposed_product_kernel(block, g):
    """``X_b^T g_b`` for a vector ``g`` over all samples."""
    product = block.XT @ g[block.rows].astype(block.X.dtype, copy=False)
    return (np.asarray(product, dtype=float).ravel(),)


class _KeptColumn(_Column):
    """A column on a basis of its parameters, for rank-deficient X (alpha = 0).

    The other parameters' columns of ``[X / u, 1]`` are combinations of the
    kept ones on every weighted row, so they add nothing the kept ones
    cannot: a vertex of the linear program needs only as many kinks as
    there are kept parameters. Certificates are checked in all parameters.
    """

    def __init__(self, column, kept, combination):
        self.__dict__.update(column.__dict__)
        self.full, self.kept, self.combination = column, kept, combination
        self.dropped = np.setdiff1d(np.arange(column.n_params), kept)
        self.n_params = len(kept)
        self.linear = column.linear[kept]

    def _embed(self, beta):
        full = np.zeros(self.full.n_params)
        full[self.kept] = beta
        return full

    def rows(self, index):
        return self.full.rows(index)[:, self.kept]

    def matvec(self, beta):
        return self.full.matvec(self._embed(beta))

    def rmatvec(self, g):
        return self.full.rmatvec(g)[self.kept]

    def split(self, beta):
        return self.full.split(self._embed(beta))

    def join(self, coef, intercept):
        full = self.full.join(coef, intercept)
        return full[self.kept] + self.combination @ full[self.dropped]

    def certified(self, beta, kinks, multiplier, residual_before, scale):
        if not super().certified(beta, kinks, multiplier, residual_before, scale):
            return False
        # Stationarity in the dropped parameters too: it holds only if they
        # really are combinations of the kept ones.
        side = self.side_gradient(residual_before, kinks)
        defect = self.full.gradient(side) + self.full.rows(kinks).T @ multiplier
        slopes = np.maximum(np.abs(self.below), np.abs(self.above))
        return bool(np.max(np.abs(defect)) <= _KKT_SLACK * np.sum(slopes))


def _parameter_basis(problem, units):
    """A basis of the parameters on the weighted rows, or None if all are independent.

    From a pivoted QR factorisation of the Gram matrix of ``[X / u, 1]``.

    Returns
    -------
    kept : ndarray of int
    combination : ndarray of shape (len(kept), n_params - len(kept))
        The dropped parameters' columns as combinations of the kept ones.
    """
    data, n_features = problem.data, problem.n_features
    gram = centred_moments(data, np.zeros(n_features))[0] / np.outer(units, units)
    if problem.fit_intercept:
        mean = column_means(data) / units
        gram = np.block([[gram, mean[:, np.newaxis]], [mean[np.newaxis, :], np.ones((1, 1))]])
    _, triangle, order = scipy.linalg.qr(gram, pivoting=True)
    size = np.abs(np.diag(triangle))
    rank = int(np.count_nonzero(size > _RANK_TOLERANCE * size[0]))
    if rank == len(gram):
        return None
    kept, dropped = np.sort(order[:rank]), np.sort(order[rank:])
    combination = scipy.linalg.lstsq(gram[np.ix_(kept, kept)], gram[np.ix_(kept, dropped)])[0]
    return kept, combination


def kink_step(objective, theta, width, scale, last_chance=False, full_problem=None):
    """Jump from a smoothed solution onto the exact optimum, if it can be found.

    Parameters
    ----------
    objective : Objective
        With a loss whose ``kink_at_target`` is True; its problem is solved.
    theta : ndarray
        Optimizer vector of the smoothed solution.
    width : float
        Half-width of the last smoothing zone.
    scale : float
        Typical residual size, for tolerances.
    last_chance : bool, default=False
        Try even when many samples are near their kinks (ties), which
        earlier stages skip as too far from a vertex.
    full_problem : FitProblem, default=None
        The problem whose rows tell which parameters are dependent (a
        screened objective's problem has only the near rows); the
        objective's problem if None.

    Returns
    -------
    theta : ndarray
        The best of the smoothed solution and the exact candidates, in
        each output column, by the true objective.
    certified : bool
        Whether every output column is proven optimal.
    """
    problem = objective.problem
    if problem.n_params > MAX_PARAMS:
        return theta, False
    coef, intercept = objective.unpack(theta)
    new_coef, new_intercept = coef.copy(), intercept.copy()
    units = _feature_units(problem.data)
    certified = True
    for j in range(problem.n_outputs):
        column = _Column(problem, objective.loss, j, units)
        beta = column.join(coef[:, j], intercept[j])
        residual = column.y - column.matvec(beta)
        near_kinks = np.count_nonzero(column.active & (np.abs(residual) <= width))
        if near_kinks > _MAX_NEAR_PER_PARAM * column.n_params and not last_chance:
            # Far from a vertex: wait for a narrower smoothing stage.
            certified = False
            continue
        if problem.coef_bounds is not None:
            candidate = _bounded_step(problem, objective.loss, j, beta, width, scale, units)
        elif problem.alpha == 0:
            candidate = _simplex(column, beta, scale)
            if candidate is _RANK_DEFICIENT:
                basis = _parameter_basis(full_problem or problem, units)
                if basis is None:
                    candidate = _simplex(column, beta, scale, search_all=True)
                else:
                    column = _KeptColumn(column, *basis)
                    candidate = _simplex(column, column.join(coef[:, j], intercept[j]), scale)
                    beta = column.join(coef[:, j], intercept[j])
        else:
            candidate = _qp_step(column, beta, width, scale)
        if candidate is None:
            certified = False
            continue
        beta_new, column_certified = candidate
        if not column_certified:
            column_certified = _degenerate_certificate(column, beta_new, scale)
        if column_certified or column.value(beta_new) <= column.value(beta):
            new_coef[:, j], new_intercept[j] = column.split(beta_new)
        certified &= column_certified
    return objective.pack(new_coef, new_intercept), certified


def _step(column, beta, width, scale):
    """The exact step of a bounded problem's free parameters: simplex (LP) or active set (QP)."""
    if column.alpha == 0:
        candidate = _simplex(column, beta, scale)
        return None if candidate is _RANK_DEFICIENT else candidate
    return _qp_step(column, beta, width, scale)


def _bounds_in_units(problem, j, feature_units):
    """Column ``j``'s coefficient bounds in the units of ``beta``."""
    return tuple(bound[:, j] * feature_units for bound in problem.coef_bounds)


def _bounded_step(problem, loss, j, beta, width, scale, units):
    """The exact step with coefficient bounds: the free ones, the others at their bounds.

    The coefficients the smoothed solution has at a bound start fixed there
    and the exact step runs on the others (:class:`_BoundedColumn`). Its
    candidate is certified when, besides the kink conditions, the free
    coefficients are within their bounds and each fixed one's multiplier
    (the objective's slope along it) points into its bound. Otherwise a
    free coefficient that crossed its bound is fixed there, or the fixed one
    whose multiplier is most wrong released, and the step runs again.

    Returns
    -------
    (beta, certified) with beta within the bounds, or None
    """
    lower, upper = _bounds_in_units(problem, j, units)
    coef = beta[: problem.n_features]
    # L-BFGS-B leaves coefficients at a bound up to rounding of its scaling.
    near = _CROSSING_SLACK * np.maximum(1.0, np.abs(coef))
    fixed = np.where(coef <= lower + near, -1, np.where(coef >= upper - near, 1, 0))
    for _ in range(_MAX_BOUND_ROUNDS):
        column = _BoundedColumn(problem, loss, j, units, fixed)
        if column.n_params == 0:
            # Every parameter is at a bound: only the multipliers can tell.
            nothing = np.zeros(0)
            residual = column.y - column.matvec(nothing)
            candidate = nothing, column.certified(nothing, [], nothing, residual, scale)
        else:
            candidate = _step(column, column.reduce(beta), width, scale)
        if candidate is None:
            return None
        reduced, certified = candidate
        beta = column.expand(reduced)
        beta[: problem.n_features] = np.clip(beta[: problem.n_features], lower, upper)
        moves = column.bound_moves
        if certified or moves is None or not np.any(moves):
            return beta, certified
        fixed = np.where(moves != 0, moves, fixed)
        released = np.flatnonzero(moves == 2)
        fixed[released] = 0
    return beta, False


def _degenerate_certificate(column, beta, scale):
    """Whether ``beta`` is optimal, allowing every sample on its kink a multiplier.

    At a degenerate vertex (ties: more samples on their kinks than
    parameters) the basis's own multipliers may leave their ranges while
    the point is optimal; simplex pivots then stall. The KKT conditions
    ask only for *some* multipliers, one per sample on its kink, within
    its slopes, that cancel the gradient of the rest: a bounded least
    squares problem (scipy's ``lsq_linear``, by its exact active-set method).
    """
    residual = column.y - column.matvec(beta)
    on_kink = np.flatnonzero(column.active & (np.abs(residual) <= _KKT_SLACK * scale))
    if len(on_kink) == 0 or len(on_kink) > _MAX_DEGENERATE_KINKS_PER_PARAM * column.n_params:
        return False
    gradient = column.gradient(column.side_gradient(residual, on_kink))
    if column.alpha:
        gradient = gradient + column.alpha * column.penalty_weights() * beta
    rows = column.rows(on_kink)
    low = np.minimum(column.below[on_kink], column.above[on_kink])
    high = np.maximum(column.below[on_kink], column.above[on_kink])
    if np.any(high - low <= 0):
        return False
    fit = scipy.optimize.lsq_linear(rows.T, -gradient, bounds=(low, high), method="bvls")
    defect = rows.T @ np.clip(fit.x, low, high) + gradient
    slopes = np.maximum(np.abs(column.below), np.abs(column.above))
    return bool(np.max(np.abs(defect)) <= _KKT_SLACK * np.sum(slopes))


def _solve(matrix, rhs):
    """Solution of a square system, or None if it is singular or ill-conditioned.

    A near-singular basis (duplicated or collinear features) gives no
    trustworthy vertex; the caller then keeps the smoothed solution.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            solution = scipy.linalg.solve(matrix, rhs, check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning, ValueError):
            return None
    return solution if np.all(np.isfinite(solution)) else None


def _solve_refined(matrix, rhs):
    """:func:`_solve`, with steps of iterative refinement.

    The KKT system mixes unknowns of very different sizes (coefficients
    shrunk by a large alpha next to an intercept of the target's size):
    elimination leaves errors of the size of the largest unknown's rounding
    in the small ones, which the refinement steps remove (without them,
    ``MedianRegressor(alpha=1e-3)`` on a target in units of 1e30 returned
    coefficients 1e8 times too large).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy.linalg.LinAlgWarning)
        try:
            factors = scipy.linalg.lu_factor(matrix, check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgWarning, ValueError):
            return None
    lu = factors[0]
    norm = np.linalg.norm(matrix, 1)
    rcond, _ = scipy.linalg.lapack.dgecon(lu, norm)
    if not rcond >= np.finfo(float).eps:
        return None
    solution = scipy.linalg.lu_solve(factors, rhs, check_finite=False)
    for _ in range(_REFINEMENT_STEPS):
        solution = solution + scipy.linalg.lu_solve(
            factors, rhs - matrix @ solution, check_finite=False
        )
    return solution if np.all(np.isfinite(solution)) else None


def _independent_rows(column, order, limit):
    """The first ``limit`` samples in ``order`` whose rows are linearly independent.

    Greedy Gram-Schmidt: duplicated or collinear rows (repeated samples,
    ties) are skipped, so the chosen rows can define a vertex.
    """
    chosen, basis = [], []
    for i in order:
        if len(chosen) == limit:
            break
        row = column.rows(np.array([i]))[0]
        norm = np.linalg.norm(row)
        for q in basis:
            row = row - (q @ row) * q
        if np.linalg.norm(row) > _INDEPENDENCE * max(norm, 1e-300):
            basis.append(row / np.linalg.norm(row))
            chosen.append(int(i))
    return chosen


def _qp_kkt(column, kinks, below_side):
    """Minimise the penalised objective with ``kinks`` on their kinks, others on a side.

    Solves [[alpha P, A^T], [A, 0]] [beta; lambda] = [-c; y_K] as
    [[P, A^T], [A, 0]] [beta; lambda / alpha] = [-c / alpha; y_K]: the same
    solution, but a system whose conditioning does not grow with alpha^2.
    Returns (beta, multipliers) or None when the system is singular.
    """
    gradient = np.where(below_side, column.below, column.above)
    gradient[kinks] = 0.0
    c = column.gradient(gradient)
    rows = column.rows(np.asarray(kinks, dtype=int))
    p, k = column.n_params, len(kinks)
    kkt = np.zeros((p + k, p + k))
    kkt[:p, :p] = np.diag(column.penalty_weights())
    kkt[:p, p:] = rows.T
    kkt[p:, :p] = rows
    solution = _solve_refined(kkt, np.concatenate([-c / column.alpha, column.y[kinks]]))
    if solution is None:
        return None
    return solution[:p], column.alpha * solution[p:]


def _qp_step(column, beta, width, scale):
    """Primal active-set method for ``alpha > 0``, started from the smoothed solution.

    The active set holds the samples on their kinks (zero residual); every
    other sample is on a fixed side. Each iteration solves the KKT system for
    that pattern; if the step would carry a sample across its kink, it stops
    at the crossing and puts the sample on its kink; if a kink sample's
    multiplier leaves its subdifferential, it releases the sample to the
    side that lowers the objective. It ends when the KKT conditions hold.
    """
    residual = column.y - column.matvec(beta)
    distance = np.where(column.active, np.abs(residual), np.inf)
    order = np.argsort(distance, kind="stable")
    in_zone = order[distance[order] <= width]
    kinks = _independent_rows(column, in_zone, column.n_params)
    if not kinks and column.fit_intercept:
        # The unpenalised intercept needs one kink to pin it down.
        kinks = [int(order[0])]
    below_side = residual > 0
    slack = _CROSSING_SLACK * scale
    for _ in range(_MAX_PIVOTS_PER_PARAM * column.n_params + _EXTRA_ACTIVE_SET_STEPS):
        step = _qp_kkt(column, kinks, below_side)
        if step is None:
            return None
        target, multiplier = step
        new_residual = column.y - column.matvec(target)
        off = column.active.copy()
        off[kinks] = False
        crossing = off & np.where(below_side, new_residual < -slack, new_residual > slack)
        if np.any(crossing):
            # Walk towards the target only up to the first kink crossed.
            candidates = np.flatnonzero(crossing)
            t = residual[candidates] / (residual[candidates] - new_residual[candidates])
            first = int(np.argmin(t))
            entering = int(candidates[first])
            beta = beta + np.clip(t[first], 0.0, 1.0) * (target - beta)
            residual = column.y - column.matvec(beta)
            if _independent_rows(column, [*kinks, entering], len(kinks) + 1)[-1] == entering:
                kinks = [*kinks, entering]
            else:
                below_side[entering] = not below_side[entering]
            continue
        beta, residual = target, new_residual
        low = np.minimum(column.below[kinks], column.above[kinks])
        high = np.maximum(column.below[kinks], column.above[kinks])
        violation = np.maximum(multiplier - high, low - multiplier)
        if len(kinks) == 0 or np.max(violation) <= column.slope_slack():
            return beta, _is_stationary(column, beta, kinks, multiplier, below_side) and (
                column.certified(
                    beta, kinks, multiplier, _with_kinks_at_zero(residual, kinks), scale
                )
            )
        leaving = int(np.argmax(violation))
        # Above the upper slope: raw goes up past y (residual negative).
        below_side[kinks[leaving]] = multiplier[leaving] < low[leaving]
        kinks = kinks[:leaving] + kinks[leaving + 1 :]
    return beta, False


def _is_stationary(column, beta, kinks, multiplier, below_side):
    """Whether the penalised gradient vanishes with the kink samples at ``multiplier``.

    The KKT solve promises it; checked, so that an inaccurate solve is
    never certified.
    """
    side_gradient = np.where(below_side, column.below, column.above)
    side_gradient[kinks] = 0.0
    defect = (
        column.gradient(side_gradient)
        + column.rows(np.asarray(kinks, dtype=int)).T @ multiplier
        + column.alpha * column.penalty_weights() * beta
    )
    slopes = np.maximum(np.abs(column.below), np.abs(column.above))
    return bool(np.max(np.abs(defect)) <= _KKT_SLACK * np.sum(slopes))


def _with_kinks_at_zero(residual, kinks):
    """Residuals with the kink samples set exactly to zero."""
    residual = residual.copy()
    residual[kinks] = 0.0
    return residual


def _smallest_first(distance, count):
    """Indices of finite ``distance`` in increasing order, at least the ``count`` smallest.

    Partitions instead of sorting everything: only the front is used.
    """
    finite = np.flatnonzero(np.isfinite(distance))
    if count < len(finite):
        finite = finite[np.argpartition(distance[finite], count)[:count]]
    return finite[np.argsort(distance[finite], kind="stable")]


def _simplex(column, beta, scale, search_all=False):
    """Vertex from the smallest residuals, then simplex pivots to the optimum.

    Each pivot costs one pass over X (the edge direction's change of the
    raw outputs): the residuals move along the edge, and the off-kink
    gradient changes only through the few samples whose side changed.
    Returns ``_RANK_DEFICIENT`` when the samples nearest their kinks do not
    define a vertex (unless ``search_all``, which then looks at every sample).
    """
    residual = column.y - column.matvec(beta)
    distance = np.where(column.active, np.abs(residual), np.inf)
    count = len(distance) if search_all else _MAX_NEAR_PER_PARAM * column.n_params
    basis = _independent_rows(column, _smallest_first(distance, count), column.n_params)
    if len(basis) < column.n_params:
        return None if search_all else _RANK_DEFICIENT
    basis = np.sort(basis)
    rows = column.rows(basis)
    beta = _solve(rows, column.y[basis])
    if beta is None:
        return None
    residual = column.y - column.matvec(beta)
    residual[basis] = 0.0
    side_gradient = column.side_gradient(residual, basis)
    c = column.gradient(side_gradient)
    slack = column.slope_slack()
    for _ in range(_MAX_PIVOTS_PER_PARAM * column.n_params + _EXTRA_SIMPLEX_PIVOTS):
        # Stationarity c + A^T lambda = 0 gives the kink multipliers.
        multiplier = _solve(rows.T, -c)
        if multiplier is None:
            return None
        low = np.minimum(column.below[basis], column.above[basis])
        high = np.maximum(column.below[basis], column.above[basis])
        violation = np.maximum(multiplier - high, low - multiplier)
        leaving = int(np.argmax(violation))
        if violation[leaving] <= slack:
            # Certify with the gradient recomputed from scratch, not updated.
            multiplier = _solve(rows.T, -column.gradient(side_gradient))
            if multiplier is None:
                return None
            return beta, column.certified(beta, basis, multiplier, residual, scale)
        pivot = _pivot(column, rows, basis, beta, residual, multiplier, leaving, high, low)
        if pivot is None:
            return None
        basis, rows, beta, residual = pivot
        new_side_gradient = column.side_gradient(residual, basis)
        changed = np.flatnonzero(new_side_gradient != side_gradient)
        if len(changed) > _RECOMPUTE_SHARE * len(residual):
            c = column.gradient(new_side_gradient)
        else:
            c = c + column.rows(changed).T @ (new_side_gradient - side_gradient)[changed]
        side_gradient = new_side_gradient
    return beta, False


def _pivot(column, rows, basis, beta, residual, multiplier, leaving, high, low):
    """One simplex pivot: release basis sample ``leaving``, line-search the edge.

    Returns the new ``(basis, rows, beta, residual)``, or None.
    """
    # Release the kink towards the side that lowers the objective: raw of
    # the leaving sample goes up if its multiplier exceeds the upper slope.
    up = multiplier[leaving] > high[leaving]
    direction_sign = 1.0 if up else -1.0
    unit = np.zeros(len(basis))
    unit[leaving] = direction_sign
    direction = _solve(rows, unit)
    if direction is None:
        return None
    # Directional derivative at t = 0+ (negative: a descent edge).
    slope = (high[leaving] - multiplier[leaving]) if up else (multiplier[leaving] - low[leaving])
    change = column.matvec(direction)  # d raw / dt
    in_basis = np.zeros(len(residual), dtype=bool)
    in_basis[basis] = True
    moving = column.active & ~in_basis & (change != 0)
    # Residual y - raw reaches zero at t = residual / change.
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(moving, residual / change, -1.0)
    candidates = np.flatnonzero(moving & (t >= 0))
    if len(candidates) == 0:
        return None
    # Crossing a kink raises the slope by the jump in that sample's gradient;
    # the step ends at the first crossing where the slope turns non-negative.
    jumps = (column.above[candidates] - column.below[candidates]) * np.abs(change[candidates])
    entering = _first_crossing_reaching(t[candidates], jumps, -slope)
    if entering is None:
        return None
    entering = candidates[entering]
    step = t[entering]
    beta = beta + step * direction
    residual = residual - step * change
    # Samples crossed before the entering one keep their (now flipped) sign;
    # the entering sample sits exactly on its kink.
    residual[entering] = 0.0
    basis = basis.copy()
    basis[leaving] = entering
    rows = rows.copy()
    rows[leaving] = column.rows(np.array([entering]))[0]
    return basis, rows, beta, residual


def _first_crossing_reaching(t, jumps, needed):
    """Index of the smallest ``t`` at which the jumps, summed in ``t`` order, reach ``needed``.

    The step usually stops after a few crossings, so the smallest ``t`` are
    selected by partitioning, with a window that grows until it holds
    enough jump, instead of sorting all of them.
    """
    window = _FIRST_WINDOW
    while True:
        if window >= len(t):
            order = np.argsort(t, kind="stable")
        else:
            nearest = np.argpartition(t, window)[:window]
            order = nearest[np.argsort(t[nearest], kind="stable")]
        reached = np.flatnonzero(np.cumsum(jumps[order]) >= needed)
        if len(reached):
            return int(order[reached[0]])
        if window >= len(t):
            return None
        window *= _WINDOW_GROWTH
