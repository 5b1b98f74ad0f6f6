"""The scores of an evaluation run: per item, pooled, mean; as a table, JSON or
TensorBoard scalars."""

import dataclasses
import math

import numpy as np

from pitchfit.evaluate.metrics import METRICS
from pitchfit.evaluate.metrics import Frames
from pitchfit.evaluate.metrics import scores


@dataclasses.dataclass
class Report:
  """Scores of each system: per item, pooled over frames, mean over items."""
  source: str
  protocol: str
  items: dict            # system -> [{'name': ..., **scores}]
  pooled: dict           # system -> scores
  mean: dict             # system -> scores (mean over items, NaN skipped)
  failures: list         # one-line messages
  skipped: list          # names of items left out and why

  def to_json(self):
    return json_safe(dataclasses.asdict(self))


def json_safe(value):
  """Nested scores -> plain JSON: numpy numbers as Python ones, NaN as null."""
  if isinstance(value, dict):
    return {k: json_safe(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [json_safe(v) for v in value]
  if isinstance(value, (float, np.floating)):
    return None if math.isnan(value) else float(value)
  if isinstance(value, np.integer):
    return int(value)
  return value


def mean_scores(items):
  result = {}
  for metric in METRICS:
    values = [item[metric] for item in items if not math.isnan(item[metric])]
    result[metric] = float(np.mean(values)) if values else float('nan')
  result['n_frames'] = int(sum(item['n_frames'] for item in items))
  result['n_voiced'] = int(sum(item['n_voiced'] for item in items))
  result['n_items'] = len(items)
  return result


def finish(source, protocol, estimators, frames, items, failures, skipped):
  pooled = {e.name: scores(Frames.concatenate(frames[e.name]))
            if frames[e.name] else None for e in estimators}
  mean = {e.name: mean_scores(items[e.name]) for e in estimators}
  return Report(source, protocol, items, pooled, mean, failures, skipped)


def format_table(report, per_item=True):
  """The report as an aligned text table (one row per item and system)."""
  header = ('system', 'item', 'frames', 'voiced', 'RPA', 'RCA', 'VxRecall',
            'VxFalseAlm', 'OA')
  rows = []

  def row(system, item, s):
    rows.append((system, item, str(s['n_frames']), str(s['n_voiced']))
                + tuple(_pct(s[m]) for m in METRICS))

  for system, items in report.items.items():
    if per_item:
      for item in items:
        row(system, item['name'], item)
    if report.pooled.get(system):
      row(system, '(all frames)', report.pooled[system])
    if len(items) > 1:
      row(system, f'(mean of {len(items)})', report.mean[system])
  widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
  lines = ['  '.join(c.ljust(w) if i < 2 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(r, widths)))
           for r in [header] + rows]
  return '\n'.join(lines)


def _pct(value):
  return '-' if math.isnan(value) else f'{100.0 * value:.1f}%'


def write_tensorboard(report, log_dir, step=0):
  """Pooled and mean scores as TensorBoard scalars `eval/<system>/<metric>`."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  writer = tf.summary.create_file_writer(str(log_dir))
  with writer.as_default():
    for system in report.items:
      for kind, table in (('pooled', report.pooled), ('mean', report.mean)):
        values = table.get(system)
        if not values:
          continue
        for metric in METRICS:
          if not math.isnan(values[metric]):
            tf.summary.scalar(f'eval_{kind}/{system}/{metric}', values[metric],
                              step=step)
  writer.flush()
