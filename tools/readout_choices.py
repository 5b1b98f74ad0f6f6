"""How f0 is read out and windows stitched: RPA of each choice on synthetic notes.

  python tools/readout_choices.py pitchfit/assets/default_model.npz \
      --dataset synthetic_notes/sung_small:test --examples 1000

Renders whole (4-s) test examples, runs the model on windows laid out as
`pitchfit.predict` lays them (half a window apart, the first half a window
before time 0), and scores every combination of
  * f0 read-out: the f0 softmax's full expected bin, or the expected bin
    within --radius bins of its peak;
  * stitching: the triangle-weighted mean of the two windows always, or the
    more central window's value where they differ by --agree-cents or more.
Synthetic labels only, so it is a development tool: it never reads
../shared/eval-data. docs/usage.md has its numbers for the default model.
"""

import argparse

import numpy as np

from pitchfit.train import data
from pitchfit.evaluate import scoring as evaluation
from pitchfit.track import predict
from pitchfit.track import streaming
from pitchfit.dsp import synths


def read_out(logits, hz_min, hz_max, radius=None):
  """Natural-log f0 [..] from f0 logits [.., bins]; radius None = all bins."""
  depth = logits.shape[-1]
  probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
  if radius is not None:
    peak = probs.argmax(axis=-1)[..., None]
    probs = probs * (np.abs(np.arange(depth) - peak) <= radius)
  unit = (probs * np.linspace(0.0, 1.0, depth)).sum(-1) / probs.sum(-1)
  return np.log(hz_min) + unit * np.log(hz_max / hz_min)


def stitch(log_f0, n_total, agree_cents=None):
  """Windows' log-f0 [n_windows, n_frames] -> [n_total] frames.

  Window i covers frames (i - 1) * half .. as in pitchfit.predict.
  agree_cents None: always the weighted mean.
  """
  n_windows, n_frames = log_f0.shape
  half = n_frames // 2
  weights = streaming.window_weights(n_frames)
  out = np.zeros(n_total)
  for g in range(n_total):
    index = [(i, g - (i - 1) * half) for i in range(n_windows)
             if 0 <= g - (i - 1) * half < n_frames]
    values = np.array([log_f0[i, k] for i, k in index])
    w = np.array([weights[k] for _, k in index])
    out[g] = (w * values).sum() / w.sum()
    if (agree_cents is not None
        and np.ptp(values) * 1200.0 / np.log(2.0) >= agree_cents):
      out[g] = values[w.argmax()]
  return out


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('model', help='exported .npz or a pitchfit train save dir')
  parser.add_argument('--dataset', default='synthetic_notes/sung_small:test')
  parser.add_argument('--examples', type=int, default=300)
  parser.add_argument('--radius', type=int, default=8)
  parser.add_argument('--agree-cents', type=float, default=100.0)
  args = parser.parse_args()

  model = predict.load_model(args.model)
  m = model.config.model
  hop, n_frames = model.hop_size, m.n_frames
  half = n_frames // 2
  choices = [(radius, agree) for radius in (None, args.radius)
             for agree in (None, args.agree_cents)]
  hits = {choice: [] for choice in choices}
  examples = data.synthetic_eval(args.dataset, 125, None, args.examples)
  for controls in examples.take(args.examples).batch(1).as_numpy_iterator():
    audio = synths.render_controls(
        controls['sin_amps'], controls['sin_freqs'],
        controls['noise_magnitudes'], 125 * hop, m.sample_rate).numpy()[0]
    amp = controls['harm_amp'][0].reshape(-1)
    ref = np.where(amp >= model.config.losses.harmonic.amp_threshold,
                   controls['f0_hz'][0].reshape(-1), 0.0)
    padded = np.concatenate([np.zeros(half * hop, np.float32), audio,
                             np.zeros(n_frames * hop, np.float32)])
    starts = range(0, audio.size + half * hop, half * hop)
    logits = model(np.stack([padded[s:s + n_frames * hop] for s in starts])
                   )['f0_logits']
    voiced = ref > 0
    for radius, agree in choices:
      log_f0 = stitch(read_out(logits, m.f0_hz_min, m.f0_hz_max, radius),
                      ref.size, agree)
      cents = 1200.0 / np.log(2.0) * (log_f0[voiced] - np.log(ref[voiced]))
      hits[(radius, agree)].append(np.abs(cents) < evaluation.CENT_TOLERANCE)
  print(f'{args.dataset}, {args.examples} 4-s examples (RPA)')
  for (radius, agree), parts in hits.items():
    readout = 'full mean' if radius is None else f'peak +-{radius} bins'
    stitching = ('cross-fade always' if agree is None
                 else f'central where they differ >= {agree:g} cents')
    print(f'  {readout:16s} {stitching:40s} {np.concatenate(parts).mean():.4f}')


if __name__ == '__main__':
  main()
