"""Weighted statistics of targets: means and quantiles (the losses' constant starts)."""

import numpy as np


def normalised_weights(sample_weight):
    """Sample weights scaled to sum to one: the one place weights are normalised.

    Parameters
    ----------
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, with a positive sum.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    return sample_weight / np.sum(sample_weight)


def weighted_quantile(y, sample_weight, quantile):
    """Column-wise weighted quantile: a minimiser of the mean pinball loss.

    Parameters
    ----------
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    quantile : float in (0, 1)

    Returns
    -------
    ndarray of shape (n_outputs,)
        For each column, the smallest value at which the cumulative weight
        reaches ``quantile`` of the total weight.
    """
    order = np.argsort(y, axis=0, kind="stable")
    sorted_y = np.take_along_axis(y, order, axis=0)
    cumulative = np.cumsum(sample_weight[order], axis=0)
    target = quantile * cumulative[-1]
    index = np.argmax(cumulative >= target * (1 - 1e-12), axis=0)
    return sorted_y[index, np.arange(y.shape[1])]


def weighted_mean(y, sample_weight):
    """Column-wise weighted mean of ``y`` of shape (n_samples, n_outputs)."""
    return (sample_weight @ y) / np.sum(sample_weight)
