"""Turn an estimator's ``loss`` parameter (string or object) into a loss instance.

Resolution happens once, at fit time, so the parameter keeps the value the
user gave: ``clone`` and grid search depend on that.
"""

import copy

from .losses import Loss


def resolve_loss(loss, named_losses, target_kind, estimator_name):
    """Return a fresh, checked loss instance for an estimator.

    Parameters
    ----------
    loss : str or Loss
        The estimator's ``loss`` parameter.
    named_losses : dict of str to callable
        The strings the estimator accepts and the loss each one makes.
    target_kind : {"continuous", "binary", "categorical", "distribution"}
        The ``output_unit.target_kind`` the estimator needs.
    estimator_name : str
        For error messages.

    Returns
    -------
    Loss
        A new instance (a deep copy for an object), so later changes to the
        user's object cannot alter a fitted model, with its parameters
        checked (:meth:`Loss.validate`).
    """
    valid = ", ".join(repr(name) for name in named_losses)
    if isinstance(loss, str):
        if loss not in named_losses:
            raise ValueError(
                f"Unknown loss {loss!r} for {estimator_name}. Valid loss strings are "
                f"{valid}; a skloss.losses.Loss instance is accepted too."
            )
        return named_losses[loss]()
    if isinstance(loss, type) and issubclass(loss, Loss):
        raise TypeError(
            f"{estimator_name} got the loss class {loss.__name__}, not an instance: "
            f"pass {loss.__name__}() instead."
        )
    if not isinstance(loss, Loss):
        raise TypeError(
            f"{estimator_name} needs loss to be one of {valid} or an instance of "
            f"skloss.losses.Loss; got {loss!r} of type {type(loss).__name__}."
        )
    kind = loss.output_unit.target_kind
    if kind != target_kind:
        task = {
            "binary": "classification",
            "categorical": "classification",
            "distribution": "distributional regression",
        }.get(kind, "regression")
        raise ValueError(
            f"{loss!r} is a {task} loss for a {kind} target (output unit "
            f"{loss.output_unit.name!r}), but {estimator_name} needs a loss for a "
            f"{target_kind} target, such as {valid}."
        )
    if not loss.is_smooth and type(loss).smoothed is Loss.smoothed:
        raise TypeError(
            f"{loss!r} declares is_smooth=False but does not implement "
            "smoothed(width), which the fitting core needs to minimise it."
        )
    if loss.kink_at_target and type(loss).kink_slopes is Loss.kink_slopes:
        raise TypeError(
            f"{loss!r} declares kink_at_target=True but does not implement "
            "kink_slopes(), which the fitting core's exact finish needs."
        )
    # Checked once here; the core's evaluations then skip the checks.
    return copy.deepcopy(loss).validate()
