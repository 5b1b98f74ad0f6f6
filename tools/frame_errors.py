"""Where a model misses on synthetic notes: RPA by kind of frame and by f0.

  python tools/frame_errors.py pitchfit/assets/default_model.npz --examples 300

Runs the model as `pitchfit evaluate` does on a synthetic_notes test split
(one model window per example) and splits the reference-voiced frames into
those next to a note change (the base pitch jumps > 2.5 semitones), those
whose pitch moves > 0.3 semitone per frame otherwise (glides, fast vibrato),
and the steady rest; then by f0 octave band. Synthetic labels only, so it is
a development tool: it never reads ../shared/eval-data.
"""

import argparse

import numpy as np

from pitchfit.evaluate import scoring as evaluation
from pitchfit.track import predict

BANDS_HZ = ((30, 60), (60, 120), (120, 250), (250, 500), (500, 1100))


def frame_kinds(ref_hz):
  """{kind: bool [n]} of a reference f0 track [n] (Hz, 0 = unvoiced)."""
  midi = 12.0 * np.log2(np.maximum(ref_hz, 1e-3) / 440.0)
  jumps = np.abs(np.diff(midi)) > 2.5
  near_change = np.zeros(ref_hz.shape, bool)
  near_change[1:] |= jumps
  near_change[:-1] |= jumps
  moving = (np.abs(np.gradient(midi)) > 0.3) & ~near_change
  return {'moving': moving, 'near change': near_change,
          'steady': ~moving & ~near_change}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('model', help='exported .npz or a pitchfit train save dir')
  parser.add_argument('--dataset', default='synthetic_notes/sung_small:test')
  parser.add_argument('--examples', type=int, default=300)
  args = parser.parse_args()

  model = predict.load_model(args.model)
  estimator = evaluation.ModelEstimator(model)
  hits = {kind: [] for kind in ('moving', 'near change', 'steady')}
  refs, oks = [], []
  for _, audio, ref in evaluation.synthetic_examples(
      args.dataset, model, None, args.examples):
    f0 = estimator.track_windows(audio[None])[0][0]
    voiced = ref > 0
    ok = np.abs(1200.0 * np.log2(np.maximum(f0, 1e-3) / np.maximum(ref, 1e-3))
                ) < evaluation.CENT_TOLERANCE
    for kind, mask in frame_kinds(ref).items():
      hits[kind].append(ok[voiced & mask])
    refs.append(ref[voiced])
    oks.append(ok[voiced])
  ref, ok = np.concatenate(refs), np.concatenate(oks)
  print(f'{args.dataset}, {args.examples} examples, {ok.size} voiced frames: '
        f'RPA {ok.mean():.3f}')
  for kind, parts in hits.items():
    part = np.concatenate(parts)
    print(f'  {kind:12s} RPA {part.mean():.3f}  ({part.size / ok.size:.0%} of frames)')
  for lo, hi in BANDS_HZ:
    band = (ref >= lo) & (ref < hi)
    if band.any():
      print(f'  f0 {lo:4d}-{hi:4d} Hz RPA {ok[band].mean():.3f}  ({band.mean():.0%} of frames)')


if __name__ == '__main__':
  main()
