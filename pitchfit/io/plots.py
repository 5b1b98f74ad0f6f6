"""Pictures of pitch: an f0 track drawn over a log-frequency spectrogram.

Uses Matplotlib's object API with the Agg canvas (no pyplot), so it works
headless and leaves the caller's Matplotlib backend alone.
"""

import os

import librosa
import numpy as np
from matplotlib import cm
from matplotlib import collections
from matplotlib import colormaps
from matplotlib import colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pitchfit.io import atomic

LOWEST_HZ = 30.0  # Bottom of the log axis: below the lowest note (MIDI 24).


def log_spectrogram_db(audio, sample_rate, n_fft=2048, hop=256, top_db=80.0):
  """Magnitude spectrogram in dB below its peak.

  Args:
    audio: [n_samples] float.
    sample_rate: in Hz.

  Returns:
    times_s [n_frames] (frame centres), freqs_hz [n_fft // 2 + 1],
    db [n_bins, n_frames] in -top_db..0.
  """
  magnitude = np.abs(librosa.stft(np.asarray(audio, np.float32), n_fft=n_fft,
                                  hop_length=hop, center=True))
  db = librosa.amplitude_to_db(magnitude, ref=np.max(magnitude) or 1.0,
                               top_db=top_db)
  times_s = librosa.frames_to_time(np.arange(db.shape[1]), sr=sample_rate,
                                   hop_length=hop)
  return times_s, librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft), db


def _track_segments(times_s, f0_hz):
  """Line segments between consecutive frames that both have an f0."""
  points = np.stack([times_s, f0_hz], axis=-1)
  segments = np.stack([points[:-1], points[1:]], axis=1)    # [n - 1, 2, 2]
  valid = np.isfinite(f0_hz[:-1]) & np.isfinite(f0_hz[1:])
  return segments[valid], valid


def plot_f0_over_spectrogram(audio, sample_rate, times_s, f0_hz, path,
                             confidence=None, reference_f0_hz=None, title=None):
  """Writes a PNG of f0 over the audio's log-frequency spectrogram.

  Args:
    audio: [n_samples] float audio.
    sample_rate: in Hz.
    times_s: [n_frames] time of each f0 value, in seconds.
    f0_hz: [n_frames] in Hz; NaN (or <= 0) where there is no pitch (unvoiced
      frames), which leaves a gap in the track.
    path: where to write the image (written to a temporary name, then moved,
      so a reader never sees half a file).
    confidence: optional [n_frames] in 0..1; the track is then coloured by it
      and fades where it is low.
    reference_f0_hz: optional [n_frames] f0 to compare with (e.g. labels),
      drawn as a thin dashed line under the track.
    title: optional figure title.

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
    track = collections.LineCollection(segments, colors='cyan', linewidths=2.0,
                                       label='f0')
  else:
    confidence = np.clip(np.asarray(confidence, np.float64), 0.0, 1.0)
    # A segment is as sure as its less sure end; faint, never invisible.
    segment_confidence = np.minimum(confidence[:-1], confidence[1:])[valid]
    rgba = colormaps['viridis'](segment_confidence)
    rgba[:, 3] = 0.15 + 0.85 * segment_confidence
    track = collections.LineCollection(segments, colors=rgba, linewidths=2.0,
                                       label='f0 (colour: confidence)')
    scale = cm.ScalarMappable(norm=colors.Normalize(0.0, 1.0), cmap='viridis')
    figure.colorbar(scale, ax=axes, label='confidence', pad=0.01)
  axes.add_collection(track)
  if len(segments) or reference_f0_hz is not None:
    axes.legend(loc='upper right', fontsize='small', framealpha=0.6)
  if title:
    axes.set_title(title)

  path = os.fspath(path)
  extension = os.path.splitext(path)[1].lstrip('.') or 'png'
  with atomic.atomic_path(path) as temporary:
    figure.savefig(temporary, format=extension)
  return path

