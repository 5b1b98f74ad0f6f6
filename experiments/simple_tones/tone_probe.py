"""How a model reads plain tones: pure sinusoids and five-harmonic tones.

  .venv/bin/python experiments/simple_tones/tone_probe.py [--model M.tflite]

Each tone is 0.8 s at 22.05 kHz (resampling is on the path), 10-ms fades,
peak 0.3, read by pitchfit.predict; frames 60 ms or more inside the tone are
scored. Prints, per tone, the share of frames within 50 cents, the median
absolute error in cents and the share of frames voiced.
"""

import argparse

import numpy as np

import pitchfit

SAMPLE_RATE = 22050
SECONDS = 0.8
EDGE_S = 0.06
F0S_HZ = (32.7, 41.2, 55.0, 65.4, 82.4, 110.0, 130.8, 164.8, 220.0, 440.0,
          880.0, 1760.0, 3520.0)


def tone(f0_hz, n_harmonics):
  """n_harmonics at 1/k amplitude below Nyquist, float32 [n]."""
  t = np.arange(int(SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
  x = sum(np.sin(2 * np.pi * k * f0_hz * t + k) / k
          for k in range(1, n_harmonics + 1) if k * f0_hz < SAMPLE_RATE / 2)
  fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
  return (0.3 * x / np.max(np.abs(x)) * fade).astype(np.float32)


def scores(model, f0_hz, n_harmonics):
  """(share within 50 cents, median |cents|, share voiced) of one tone."""
  kwargs = {} if model is None else {'model': model}
  times, frequency, confidence = pitchfit.predict(
      tone(f0_hz, n_harmonics), SAMPLE_RATE, **kwargs)[:3]
  inside = (times > EDGE_S) & (times < SECONDS - EDGE_S)
  cents = 1200 * np.abs(np.log2(frequency[inside] / f0_hz))
  return (float(np.mean(cents < 50)), float(np.median(cents)),
          float(np.mean(confidence[inside] >= 0.5)))


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--model', default=None)
  args = parser.parse_args()
  for n_harmonics in (1, 5):
    for f0_hz in F0S_HZ:
      within, median, voiced = scores(args.model, f0_hz, n_harmonics)
      print(f'{n_harmonics} harmonic(s) {f0_hz:7.1f} Hz: within 50 cents '
            f'{100 * within:5.1f} %, median {median:5.1f} cents, '
            f'voiced {100 * voiced:5.1f} %')


if __name__ == '__main__':
  main()
