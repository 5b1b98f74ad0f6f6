"""Pictures of pitch: an f0 track drawn over a log-frequency spectrogram.

Uses Matplotlib's object API with the Agg canvas (no pyplot), so it works
headless and leaves the caller's Matplotlib backend alone. NumPy's FFT for
the spectrogram (no librosa: the tracker's light install has none).

Colours: the spectrogram is drawn in magma (black -> purple -> orange
-> pale yellow), so the f0 track is cyan, a hue magma never takes; voiced
frames are drawn solid, unvoiced ones thin and faint; notes are green boxes
with white edges.
"""

import os

import numpy as np
from matplotlib import collections
from matplotlib import patches
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pitchfit.io import atomic

LOWEST_HZ = 30.0  # Bottom of the log axis: below the lowest note (MIDI 24).
TRACK_COLOUR = '#00e5ff'   # cyan: absent from magma, visible on its yellows
NOTE_COLOUR = '#39ff14'    # green
UNVOICED_ALPHA = 0.25


def log_spectrogram_db(audio, sample_rate, n_fft=2048, hop=256, top_db=80.0):
  """Magnitude spectrogram in dB below its peak (Hann window, centred frames).

  Args:
    audio: [n_samples] float.
    sample_rate: in Hz.

  Returns:
    times_s [n_frames] (frame centres), freqs_hz [n_fft // 2 + 1],
    db [n_bins, n_frames] in -top_db..0.
  """
  audio = np.asarray(audio, np.float32)
  padded = np.pad(audio, n_fft // 2, mode='reflect' if audio.size > n_fft // 2
                  else 'constant')
  n_frames = 1 + max(0, padded.size - n_fft) // hop
  frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:n_frames]
  window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann
  magnitude = np.abs(np.fft.rfft(frames * window, axis=-1)).T
  ref = float(np.max(magnitude)) or 1.0
  db = 20.0 * np.log10(np.maximum(magnitude, 1e-10 * ref) / ref)
  db = np.maximum(db, -top_db)
  times_s = np.arange(n_frames) * hop / sample_rate
  return times_s, np.fft.rfftfreq(n_fft, 1.0 / sample_rate), db


def _track_segments(times_s, f0_hz):
  """Line segments between consecutive frames that both have an f0."""
  points = np.stack([times_s, f0_hz], axis=-1)
  segments = np.stack([points[:-1], points[1:]], axis=1)    # [n - 1, 2, 2]
  valid = np.isfinite(f0_hz[:-1]) & np.isfinite(f0_hz[1:])
  return segments[valid], valid


def plot_f0_over_spectrogram(audio, sample_rate, times_s, f0_hz, path,
                             confidence=None, reference_f0_hz=None, title=None,
                             voicing_threshold=0.5, notes=None):
  """Writes a PNG of f0 over the audio's log-frequency spectrogram.

  Args:
    audio: [n_samples] float audio.
    sample_rate: in Hz.
    times_s: [n_frames] time of each f0 value, in seconds.
    f0_hz: [n_frames] in Hz; NaN (or <= 0) where there is no pitch (unvoiced
      frames), which leaves a gap in the track.
    path: where to write the image (written to a temporary name, then moved,
      so a reader never sees half a file).
    confidence: optional [n_frames] in 0..1; frames below voicing_threshold
      are then drawn faint (unvoiced).
    reference_f0_hz: optional [n_frames] f0 to compare with (e.g. labels),
      drawn as a thin dashed line under the track.
    title: optional figure title.
    voicing_threshold: see confidence.
    notes: optional notes (onset_s, offset_s, midi_pitch, ...) drawn as
      boxes a semitone high around their pitch.

  Returns:
    path.
  """
  times_s = np.asarray(times_s, np.float64)
  f0_hz = np.asarray(f0_hz, np.float64)
  f0_hz = np.where(f0_hz > 0.0, f0_hz, np.nan)
  spec_times, freqs, db = log_spectrogram_db(audio, sample_rate)

  figure = Figure(figsize=(10, 4.5), dpi=100, layout='constrained')
  FigureCanvasAgg(figure)
  axes = figure.subplots()
  keep = freqs >= LOWEST_HZ  # A log axis has no room for 0 Hz.
  mesh = axes.pcolormesh(spec_times, freqs[keep], db[keep], shading='nearest',
                         cmap='magma', vmin=-80.0, vmax=0.0, rasterized=True)
  figure.colorbar(mesh, ax=axes, label='dB below peak', pad=0.01)
  axes.set_yscale('log')
  axes.set_ylim(LOWEST_HZ, sample_rate / 2.0)
  ticks = [hz for hz in (50, 100, 200, 500, 1000, 2000, 4000, 8000, 16000)
           if LOWEST_HZ <= hz <= sample_rate / 2.0]
  axes.set_yticks(ticks, [f'{hz // 1000}k' if hz >= 1000 else str(hz)
                          for hz in ticks])
  axes.minorticks_off()
  axes.set_xlim(0.0, len(audio) / sample_rate)
  axes.set_xlabel('time (s)')
  axes.set_ylabel('frequency (Hz)')

  if reference_f0_hz is not None:
    reference = np.asarray(reference_f0_hz, np.float64)
    axes.plot(times_s, np.where(reference > 0.0, reference, np.nan),
              color='white', linestyle='--', linewidth=1.0, label='reference f0')
  segments, valid = _track_segments(times_s, f0_hz)
  if confidence is None:
    voiced = np.ones(len(segments), bool)
  else:
    confidence = np.asarray(confidence, np.float64)
    # A segment is voiced where both its ends are.
    voiced = (np.minimum(confidence[:-1], confidence[1:])
              >= voicing_threshold)[valid]
  for kind, keep in (('unvoiced', ~voiced), ('voiced', voiced)):
    if keep.any():
      axes.add_collection(collections.LineCollection(
          segments[keep], colors=TRACK_COLOUR,
          linewidths=2.2 if kind == 'voiced' else 1.0,
          alpha=1.0 if kind == 'voiced' else UNVOICED_ALPHA,
          label=f'f0 ({kind})' if confidence is not None else 'f0'))
  for i, note in enumerate(notes or ()):
    low = 440.0 * 2.0 ** ((note[2] - 0.5 - 69) / 12.0)
    high = 440.0 * 2.0 ** ((note[2] + 0.5 - 69) / 12.0)
    axes.add_patch(patches.Rectangle(
        (note[0], low), note[1] - note[0], high - low, facecolor=NOTE_COLOUR,
        edgecolor='white', alpha=0.45, linewidth=0.8,
        label='notes' if i == 0 else None))
  if len(segments) or reference_f0_hz is not None or notes:
    axes.legend(loc='upper right', fontsize='small', framealpha=0.6)
  if title:
    axes.set_title(title)

  path = os.fspath(path)
  extension = os.path.splitext(path)[1].lstrip('.') or 'png'
  with atomic.atomic_path(path) as temporary:
    figure.savefig(temporary, format=extension)
  return path

