#!/usr/bin/python3
"""Reference side of the XGBoost model tests, on Debian's python3-xgboost.

usage:
  xgb_predict.py predict MODEL ROWS_CSV OUT_CSV
      Predicts ROWS_CSV (one row per line, "nan" = missing) with MODEL; the
      feature names come from MODEL.meta.json. Writes one value per line.
  xgb_predict.py train-multiclass MODEL ROWS_CSV OUT_CSV NAMES
      Trains a 3-class multi:softprob model the way a Python user would
      (feature names set on the DMatrix, no sidecar), saves it to MODEL
      (.json or .ubj) and writes its probabilities for ROWS_CSV, row-major.
      NAMES is the comma-separated feature names.
"""
import json
import sys

import numpy as np
import xgboost as xgb


def write(path, values):
    with open(path, "w") as f:
        for v in np.asarray(values).reshape(-1):
            f.write("%.17g\n" % v)


def main():
    mode = sys.argv[1]
    model_path, rows_path, out_path = sys.argv[2:5]
    rows = np.loadtxt(rows_path, delimiter=",", dtype=np.float64, ndmin=2)
    if mode == "predict":
        with open(model_path + ".meta.json") as f:
            names = json.load(f)["features"]
        booster = xgb.Booster(model_file=model_path)
        booster.set_param({"nthread": 1})
        pred = booster.predict(xgb.DMatrix(rows, missing=np.nan, feature_names=names))
        write(out_path, pred)
    elif mode == "train-multiclass":
        names = sys.argv[5].split(",")
        first = np.nan_to_num(rows[:, 0])
        label = np.where(first < -0.005, 0, np.where(first > 0.005, 2, 1))
        dtrain = xgb.DMatrix(rows, label=label, missing=np.nan, feature_names=names)
        params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3,
                  "eta": 0.3, "nthread": 1, "tree_method": "hist", "seed": 0}
        booster = xgb.train(params, dtrain, num_boost_round=15)
        booster.save_model(model_path)
        write(out_path, booster.predict(xgb.DMatrix(rows, missing=np.nan, feature_names=names)))
    else:
        sys.exit("unknown mode " + mode)
    print("xgboost", xgb.__version__, mode, "rows", rows.shape[0], file=sys.stderr)


if __name__ == "__main__":
    main()
