"""`pitchfit evaluate`'s Python API in one namespace (what cli.py, bench/ and
tools/ import as `evaluation`).

The code lives by concern: metrics.py (mir_eval scores of frames),
estimators.py (pitchfit's model, pYIN), runs.py (labelled folders, TFDS
splits), report.py (tables, JSON, TensorBoard).
"""

# pylint: disable=unused-import
from pitchfit.evaluate.estimators import ModelEstimator
from pitchfit.evaluate.estimators import PYIN_FMAX_HZ
from pitchfit.evaluate.estimators import PYIN_FMIN_HZ
from pitchfit.evaluate.estimators import PYIN_FRAME
from pitchfit.evaluate.estimators import PYIN_HOP
from pitchfit.evaluate.estimators import PyinEstimator
from pitchfit.evaluate.estimators import run_pyin
from pitchfit.evaluate.metrics import CENT_TOLERANCE
from pitchfit.evaluate.metrics import Frames
from pitchfit.evaluate.metrics import interpolate_estimate
from pitchfit.evaluate.metrics import METRICS
from pitchfit.evaluate.metrics import nearest_index
from pitchfit.evaluate.metrics import on_reference
from pitchfit.evaluate.metrics import scores
from pitchfit.evaluate.metrics import to_frames
from pitchfit.evaluate.report import format_table
from pitchfit.evaluate.report import json_safe
from pitchfit.evaluate.report import mean_scores
from pitchfit.evaluate.report import Report
from pitchfit.evaluate.report import write_tensorboard
from pitchfit.evaluate.runs import evaluate_dataset
from pitchfit.evaluate.runs import evaluate_folder
from pitchfit.evaluate.runs import labelled_files
from pitchfit.evaluate.runs import MIN_F0_CONFIDENCE
from pitchfit.evaluate.runs import read_reference
from pitchfit.evaluate.runs import real_examples
from pitchfit.evaluate.runs import synthetic_examples
