"""RPA and RCA by octave band of the reference f0, C1-C2 up to C7-C8.

A voiced reference frame belongs to band Ck-C(k+1) when its f0 lies in
[Ck, C(k+1)) (C1 = 32.70 Hz, C4 = 261.63 Hz, C8 = 4186.01 Hz); frames below
C1 or from C8 up belong to no band. The scores of a band are mir_eval's RPA
and RCA (50 cents, the estimate's voicing ignored) over its frames only, so
a band with no frames has no score (NaN). Shared by bench/accuracy.py and
tools/octave_report.py.
"""

import numpy as np

from pitchfit.evaluate import scoring as evaluation

C1_HZ = 440.0 * 2.0 ** ((24 - 69) / 12.0)    # MIDI 24
N_BANDS = 7                                   # C1-C2 ... C7-C8
BAND_NAMES = tuple(f'C{k}-C{k + 1}' for k in range(1, N_BANDS + 1))
# mir_eval's cents are relative to 10 Hz.
_C1_CENTS = 1200.0 * np.log2(C1_HZ / 10.0)


def band_edges_hz():
  """[N_BANDS + 1] Hz: C1, C2, ..., C8."""
  return C1_HZ * 2.0 ** np.arange(N_BANDS + 1)


def band_index_hz(f0_hz):
  """Band of each f0 [n] Hz: 0 for C1-C2 ... 6 for C7-C8, -1 outside (and
  for f0 <= 0, unvoiced)."""
  f0_hz = np.asarray(f0_hz, np.float64)
  with np.errstate(divide='ignore', invalid='ignore'):
    index = np.floor(np.log2(f0_hz / C1_HZ))
  index = np.where(np.isfinite(index) & (f0_hz > 0), index, -1)
  return np.where((index >= 0) & (index < N_BANDS), index, -1).astype(int)


def band_index_cents(cents):
  """Band of each mir_eval cent value [n] (re 10 Hz; 0 = no frequency)."""
  cents = np.asarray(cents, np.float64)
  index = np.floor((cents - _C1_CENTS) / 1200.0)
  index = np.where(cents > 0, index, -1)
  return np.where((index >= 0) & (index < N_BANDS), index, -1).astype(int)


def subset(frames, mask):
  """The frames where mask [n] is true, as Frames."""
  return evaluation.Frames(frames.ref_voicing[mask], frames.ref_cent[mask],
                           frames.est_voicing[mask], frames.est_cent[mask])


def band_scores(frames):
  """{band name: {'rpa', 'rca', 'n_voiced'}} of Frames (one clip or pooled).

  Only the reference-voiced frames of each band are scored.
  """
  band = band_index_cents(frames.ref_cent)
  voiced = frames.ref_voicing > 0
  out = {}
  for k, name in enumerate(BAND_NAMES):
    mask = voiced & (band == k)
    if not mask.any():
      out[name] = {'rpa': float('nan'), 'rca': float('nan'), 'n_voiced': 0}
      continue
    s = evaluation.scores(subset(frames, mask))
    out[name] = {'rpa': s['rpa'], 'rca': s['rca'], 'n_voiced': s['n_voiced']}
  return out


def _pct(value):
  return '    -' if value is None or np.isnan(value) else f'{100 * value:5.1f}'


def format_bands(rows, title, metric='rpa', counts_from=None):
  """A text table, one line per (label, {band: scores}) in `rows`.

  Args:
    rows: [(label, {band name: scores})].
    title: first line.
    metric: 'rpa' or 'rca'.
    counts_from: a {band: scores} whose voiced-frame counts head the
      columns (default: the first row's).

  Returns:
    str.
  """
  if not rows:
    return title + '\n(no rows)'
  width = max(12, max(len(label) for label, _ in rows))
  counts = counts_from or rows[0][1]
  lines = [title,
           f'{"":{width}s}' + ''.join(f' {name:>7s}' for name in BAND_NAMES),
           f'{"voiced frames":{width}s}' + ''.join(
               f' {counts.get(name, {}).get("n_voiced", 0):7d}'
               for name in BAND_NAMES)]
  for label, bands in rows:
    lines.append(f'{label:{width}s}' + ''.join(
        f'   {_pct(bands.get(name, {}).get(metric))}' for name in BAND_NAMES))
  return '\n'.join(lines)


def lowest_band(bands, lowest='C1-C2', highest='C6-C7'):
  """(band name, RPA) of the worst scored band from `lowest` to `highest`
  (both included), or (None, nan) if none has frames."""
  names = BAND_NAMES[BAND_NAMES.index(lowest):BAND_NAMES.index(highest) + 1]
  scored = [(n, bands[n]['rpa']) for n in names
            if n in bands and not np.isnan(bands[n]['rpa'])]
  return min(scored, key=lambda x: x[1]) if scored else (None, float('nan'))
