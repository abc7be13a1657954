"""The coefficient tables: text as statsmodels prints them, a pandas DataFrame, HTML.

Numbers are formatted as statsmodels formats them (fixed decimals for
moderate values, ``%g`` beyond ``1e4`` or below ``1e-4``), so that a table
printed by either package reads the same.
"""

import html

WIDTH = 78
COLUMNS = ("coef", "std err", "z", "P>|z|")


def check_alpha(alpha):
    """A clear error unless ``0 < alpha < 1``: every interval's level is ``1 - alpha``."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha!r}: the intervals' level is 1 - alpha, alpha in (0, 1).")


def require_pandas(method):
    """pandas, or an ImportError that says how to get it."""
    try:
        import pandas
    except ImportError:
        raise ImportError(f"{method}() needs pandas: pip install pandas") from None
    return pandas


def number(value, decimals=3, width=11):
    """``value`` right-aligned: ``decimals`` decimals, or ``%g`` beyond 1e4 or below 1e-4."""
    value = float(value)
    if value != 0 and not 1e-4 <= abs(value) < 1e4:
        text = f"{value:.{decimals}g}"
    else:
        text = f"{value:.{decimals}f}"
    return f"{text:>{width}}"


def _count(value):
    """A count as an integer, or with two decimals (effective parameters, weights)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def header_pairs(result):
    """The fit facts of the header, as (left, right) columns of (key, value)."""
    penalty = "none (C=inf)" if not result.penalised else f"L2, C={result.C:g}"
    left = [
        ("Dep. Variable:", result.dep_name),
        ("Model:", result.model_name),
        ("Method:", "Penalised MLE" if result.penalised else "MLE"),
        ("Penalty:", penalty),
        ("Baseline:", str(result.baseline)),
        ("Covariance Type:", result.cov_type),
        ("Converged:", str(result.converged)),
    ]
    right = [
        ("No. Observations:", _count(result.nobs)),
        ("Df Residuals:", _count(result.df_resid)),
        ("Df Model:", _count(result.df_model)),
        ("Pseudo R-squ.:", f"{result.prsquared:#.4g}"),
        ("Log-Likelihood:", f"{result.llf:#.5g}"),
        ("LL-Null:", f"{result.llnull:#.5g}"),
        ("LLR p-value:", f"{result.llr_pvalue:#.4g}"),
    ]
    if result.cov_type == "cluster":
        left.append(("No. Groups:", f"{result.n_groups}"))
        right.append(("", ""))
    return left, right


def notes(result):
    """Lines under the table: what a penalised fit's intervals mean."""
    if not result.penalised:
        return []
    return [
        f"[1] Penalised fit (L2, C={result.C:g}): the coefficients are shrunk towards 0",
        "    and their covariance is the sandwich H_pen^-1 I H_pen^-1 of the penalised",
        "    Hessian around the information. Intervals are centred on the shrunk",
        "    estimates; they cover the true coefficients only when the shrinkage is",
        "    small next to the standard errors (large n, weak penalty).",
    ]


def _block_rows(result, alpha):
    """Per non-baseline class: its label and rows (name, coef, se, z, p, low, high)."""
    interval = result.conf_int(alpha)
    names = result.param_names
    for a, label in enumerate(result.classes_kept):
        rows = [
            (names[j], result.params[j, a], result.bse[j, a], result.tvalues[j, a],
             result.pvalues[j, a], interval[j, a, 0], interval[j, a, 1])
            for j in range(len(names))
        ]  # fmt: skip
        yield label, rows


def heading(alpha, first="coef"):
    """The column heads of a coefficient block, ``first`` naming the estimates."""
    low, high = f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"
    return "".join(f"{c:>11}" for c in (first, *COLUMNS[1:])) + f"{low:>12}{high:>12}"


def line(name, name_width, coef, se, z, p, low, high):
    """One row of a coefficient block: statsmodels' widths (11, and 12 for the interval)."""
    cells = number(coef, 4) + number(se) + number(z) + f"{p:>11.3f}"
    return f"{name:<{name_width}}" + cells + number(low, width=12) + number(high, width=12)


def summary_text(result, alpha=0.05):
    """The statsmodels-style text table of :meth:`SoftmaxInference.summary`."""
    left, right = header_pairs(result)
    # numbers take at most 10 of their 11 characters: names may fill their column
    name_width = max(10, *(len(n) for n in result.param_names))
    name_width = max(name_width, *(len(f"y={c}") for c in result.classes_kept))
    width = max(WIDTH, name_width + 68)
    title = f"{result.model_name} inference results"
    lines = [title.center(width).rstrip(), "=" * width]
    half = (width - 3) // 2
    for (lk, lv), (rk, rv) in zip(left, right, strict=True):
        lines.append(f"{lk}{lv:>{half - len(lk)}}   {rk}{rv:>{width - half - 3 - len(rk)}}")
    lines.append("=" * width)
    for label, rows in _block_rows(result, alpha):
        lines += [f"{f'y={label}':>{name_width}}" + heading(alpha), "-" * width]
        lines += [line(row[0], name_width, *row[1:]) for row in rows]
        lines.append("-" * width)
    lines[-1] = "=" * width
    extra = notes(result)
    if extra:
        lines += ["", "Notes:", *extra]
    return "\n".join(lines)


def summary_frame(result, alpha=0.05):
    """The coefficient table as a DataFrame with a (class, term) MultiIndex."""
    pd = require_pandas("summary_frame")
    records, index = [], []
    for label, rows in _block_rows(result, alpha):
        for row in rows:
            index.append((label, row[0]))
            records.append(row[1:])
    columns = [*COLUMNS, f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]
    return pd.DataFrame(
        records, columns=columns, index=pd.MultiIndex.from_tuples(index, names=["class", "term"])
    )


def summary_html(result, alpha=0.05):
    """The same tables as HTML, for notebooks."""
    esc = html.escape
    left, right = header_pairs(result)
    head = "".join(
        f"<tr><th>{esc(lk)}</th><td>{esc(lv)}</td><th>{esc(rk)}</th><td>{esc(rv)}</td></tr>"
        for (lk, lv), (rk, rv) in zip(left, right, strict=True)
    )
    parts = [
        f"<table class='simpletable'><caption>{esc(result.model_name)} inference "
        f"results</caption>{head}</table>"
    ]
    low, high = f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"
    cells = "".join(f"<th>{esc(c)}</th>" for c in (*COLUMNS, low, high))
    for label, rows in _block_rows(result, alpha):
        body = "".join(
            f"<tr><th>{esc(name)}</th>" + "".join(f"<td>{c}</td>" for c in _html_cells(values))
            + "</tr>"
            for name, *values in rows
        )  # fmt: skip
        parts.append(
            f"<table class='simpletable'><tr><th>y={esc(str(label))}</th>{cells}</tr>{body}</table>"
        )
    extra = notes(result)
    if extra:
        parts.append("<p>" + esc(" ".join(line.strip() for line in extra)) + "</p>")
    return "\n".join(parts)


def _html_cells(values):
    coef, se, z, p, low, high = values
    return [number(coef, 4).strip(), *(number(v).strip() for v in (se, z)), f"{p:.3f}",
            number(low).strip(), number(high).strip()]  # fmt: skip
