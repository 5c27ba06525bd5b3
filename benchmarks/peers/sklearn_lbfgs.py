"""scikit-learn peer of benchmarks/train.mjs (Python appears only here, as a peer).

Usage: python sklearn_lbfgs.py DATA.svm N_FEATURES EPS

Loads DATA.svm with load_svmlight_file and fits LogisticRegression(solver='lbfgs', C=1,
fit_intercept=False), the same objective as `liblinear-train -s 0 -c 1 -B -1`:
    f(w) = 1/2 |w|^2 + sum_i log(1 + exp(-y_i w.x_i)).
scikit-learn minimises f(w)/n and stops when max_j |grad_j f/n| <= tol (L-BFGS-B's pgtol).
liblinear stops when |grad f|_2 <= eps * max(min(#pos, #neg), 1) / n * |grad f(0)|_2; we pass
tol = that threshold / n, so scikit-learn stops on the infinity norm of the same gradient at the
same threshold (never later than liblinear's rule would). Prints one JSON line.
"""

import json
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression


def objective(X, y01, w):
    z = X @ w
    s = np.where(y01 > 0, 1.0, -1.0)
    return 0.5 * float(w @ w) + float(np.sum(np.logaddexp(0.0, -s * z)))


def main():
    path, n_features, eps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    t0 = time.perf_counter()
    X, y = load_svmlight_file(path, n_features=n_features, dtype=np.float64)
    load_seconds = time.perf_counter() - t0
    rss_after_load_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    n = X.shape[0]
    positives = int(np.sum(y > 0))
    g0 = X.T @ (0.5 - (y > 0))  # gradient of f at w = 0 for labels in {0, 1}
    threshold = eps * max(min(positives, n - positives), 1) / n * float(np.linalg.norm(g0))
    tol = threshold / n

    model = LogisticRegression(solver="lbfgs", C=1.0, fit_intercept=False, tol=tol, max_iter=10_000)
    t1 = time.perf_counter()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - t1
    w = model.coef_.ravel().astype(np.float64)
    print(
        json.dumps(
            {
                "version": sklearn.__version__,
                "rows": n,
                "nnz": int(X.nnz),
                "loadSeconds": load_seconds,
                "fitSeconds": fit_seconds,
                "iterations": int(np.max(model.n_iter_)),
                "tol": tol,
                "gradientThreshold": threshold,
                "objective": objective(X, y, w),
                "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "rssAfterLoadBytes": rss_after_load_kib * 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
