"""Learning curve of a `pitchfit train` run: RPA and loss against minutes.

  python tools/plot_history.py runs/cpu_pretrain -o experiments/cpu_stages/curves/cpu_pretrain_curve.png

Reads the save dir's history.csv (one row per log interval; validation
columns on evaluation intervals only).
"""

import argparse
import csv
import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position

from pitchfit.io import atomic  # pylint: disable=wrong-import-position


def read_history(save_dir):
  with open(os.path.join(save_dir, 'history.csv')) as f:
    return list(csv.DictReader(f))


def column(rows, key):
  """(minutes, values) of the rows that have `key`."""
  pairs = [(float(r['minutes']), float(r[key])) for r in rows if r.get(key)]
  return [p[0] for p in pairs], [p[1] for p in pairs]


def plot(rows, path, title):
  fig, (ax_rpa, ax_loss) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
  ax_rpa.plot(*column(rows, 'f0_rpa'), color='0.6', label='train batches')
  minutes, rpa = column(rows, 'val_f0_rpa')
  ax_rpa.plot(minutes, rpa, 'o-', color='C0', label='synthetic_notes test')
  ax_rpa.axhline(0.9, color='C3', lw=0.8, ls='--', label='target 0.90')
  ax_rpa.set_ylabel('raw pitch accuracy (50 cents)')
  ax_rpa.set_ylim(0, 1)
  ax_rpa.legend(loc='lower right')
  ax_rpa.grid(alpha=0.3)
  ax_loss.plot(*column(rows, 'total_loss'), color='0.6', label='train')
  ax_loss.plot(*column(rows, 'val_total_loss'), 'o-', color='C0', label='test')
  ax_loss.set_yscale('log')
  ax_loss.set_ylabel('total loss')
  ax_loss.set_xlabel('training minutes (2 CPU cores)')
  ax_loss.legend()
  ax_loss.grid(alpha=0.3)
  fig.suptitle(title)
  fig.tight_layout()
  with atomic.atomic_path(path, suffix='.tmp.png') as tmp:
    fig.savefig(tmp, dpi=110)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('save_dir')
  parser.add_argument('-o', '--output', required=True)
  parser.add_argument('--title', default=None)
  args = parser.parse_args()
  rows = read_history(args.save_dir)
  plot(rows, args.output, args.title or os.path.basename(args.save_dir.rstrip('/')))
  last = [r for r in rows if r.get('val_f0_rpa')][-1:]
  for r in last:
    print(f"step {r['step']}, {float(r['minutes']):.1f} min: "
          f"test RPA {float(r['val_f0_rpa']):.3f}, RCA {float(r['val_f0_rca']):.3f}")


if __name__ == '__main__':
  main()
