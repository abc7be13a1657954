import os

# scikit-learn's Array API dispatch needs SciPy's own Array API support, which
# SciPy reads from the environment when it is first imported: set it before any
# import below can import SciPy (the common checks' Array API checks need it).
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, load_wine, make_classification
from sklearn.preprocessing import StandardScaler


def _standardized(X):
    return StandardScaler().fit_transform(X)


@pytest.fixture(scope="session")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="session")
def datasets():
    """Small multiclass problems: bundled (raw and standardised) and synthetic."""
    out = {}
    for name, loader in [("iris", load_iris), ("wine", load_wine), ("digits", load_digits)]:
        X, y = loader(return_X_y=True)
        out[name] = (X, y)
        out[name + "-std"] = (_standardized(X), y)
    X, y = make_classification(
        n_samples=300, n_features=12, n_informative=6, n_classes=4, random_state=0
    )
    out["synthetic"] = (X, y)
    rng = np.random.RandomState(0)
    out["synthetic-unscaled"] = (X * np.logspace(-3, 3, X.shape[1]) + rng.uniform(-5, 5, 12), y)
    return out


@pytest.fixture(scope="session")
def wine():
    """Real data with a finite MLE: four wine features (all 13 separate the cultivars)."""
    X, y = load_wine(return_X_y=True)
    return X[:, [0, 1, 3, 9]], y


@pytest.fixture(scope="session")
def synthetic():
    """Three classes of a known softmax model, of about equal size; features on very
    different scales (inference's tests)."""
    from scipy.special import softmax

    rng = np.random.RandomState(0)
    Z = rng.normal(size=(400, 3))
    truth = np.array([[0.0, 0.0, 0.0, 0.0], [0.3, 0.8, -0.5, 0.4], [-0.2, -0.6, 0.7, -0.9]])
    logits = np.column_stack([np.ones(len(Z)), Z]) @ truth.T
    y = np.array([rng.choice(3, p=p) for p in softmax(logits, axis=1)])
    return Z * [1.0, 5.0, 0.2] + [0.0, 20.0, -1.0], y


@pytest.fixture(scope="session")
def load_benchmark():
    """``load_benchmark("bench_fit")``: a script of ``benchmarks/`` as a module, for the
    tests that keep the benchmarks from rotting (their folder on ``sys.path`` while it
    loads, for their shared helpers)."""
    import importlib.util
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "benchmarks"

    def load(name):
        sys.path.insert(0, str(folder))
        try:
            spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(folder))
        return module

    return load
