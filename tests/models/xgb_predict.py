#!/usr/bin/python3
"""Reference predictions from Debian's python3-xgboost for the model tests.

usage: xgb_predict.py MODEL ROWS_CSV OUT_CSV
ROWS_CSV holds one row of features per line ("nan" = missing); the feature
names come from MODEL.meta.json. Writes one prediction per line (%.17g).
"""
import json
import sys

import numpy as np
import xgboost as xgb


def main():
    model_path, rows_path, out_path = sys.argv[1:4]
    with open(model_path + ".meta.json") as f:
        names = json.load(f)["features"]
    rows = np.loadtxt(rows_path, delimiter=",", dtype=np.float64, ndmin=2)
    booster = xgb.Booster(model_file=model_path)
    booster.set_param({"nthread": 1})
    pred = booster.predict(xgb.DMatrix(rows, missing=np.nan, feature_names=names))
    with open(out_path, "w") as f:
        for v in np.asarray(pred).reshape(-1):
            f.write("%.17g\n" % v)
    print("xgboost", xgb.__version__, "rows", rows.shape[0], file=sys.stderr)


if __name__ == "__main__":
    main()
