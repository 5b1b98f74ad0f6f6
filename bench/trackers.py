"""The pitch trackers the benchmarks compare, behind one interface.

Each tracker takes float32 mono audio [n] at 16 kHz and returns
(times [m] s, f0 [m] Hz): one frequency per frame wherever the tracker gives
one, whatever its own voicing decision (the raw-pitch protocol of the CREPE,
PESTO and DDSP-inv papers scores the pitch of every reference-voiced frame).
Frames without any estimate are NaN.

  * pitchfit: `pitchfit.predict` at the model's own frame rate (no extra
    interpolation step), frequency on every frame.
  * pyin: `librosa.pyin`, fmin C1 (32.7 Hz) to fmax C6 (1046.5 Hz), the
    synthetic pretraining's range; frame 1024 (64 ms), hop 160 (10 ms) at
    16 kHz. `fill_na=None` is librosa's documented way to get "a best guess"
    f0 in frames its HMM calls unvoiced, instead of NaN.
  * pesto: `pesto-pitch`'s shipped `mir-1k_g7` model, 10 ms steps; PESTO has
    no range setting and always gives a frequency.
  * torchcrepe: CREPE `full` (or `tiny`), 10 ms hop, same C1-C6 range, its
    default Viterbi decoding, which gives a frequency on every frame.
  * swiftf0: `swift-f0`'s ONNX model (onnxruntime, no torch), its whole
    range 46.9-2093.8 Hz, a pitch on every 16-ms frame whatever its
    confidence.
  * fcpe: `torchfcpe`'s bundled model, `local_argmax` decoding with
    threshold 0 (a pitch on every 10-ms frame), its whole range
    32.7-1975.5 Hz.

PESTO, torchcrepe, SwiftF0 and FCPE need the optional `peers` extra. Their
weights ship inside their wheels; nothing is downloaded. Trackers with a
range setting that is part of the model (SwiftF0, FCPE) use all of it; pYIN
and torchcrepe keep the C1-C6 range this benchmark always gave them.
"""

import contextlib
import importlib
import importlib.metadata
import io
import sys
import types

import numpy as np

from pitchfit.evaluate import scoring as evaluation

SAMPLE_RATE = 16000
FMIN_HZ = 32.7     # C1 (MIDI 24), the lowest synthetic pretraining pitch
FMAX_HZ = 1046.5   # C6 (MIDI 84), the highest
HOP_S = 0.01
TRACKER_NAMES = ('pitchfit', 'pyin', 'pesto', 'torchcrepe', 'swiftf0', 'fcpe')
PEERS_HINT = ('pip install torch==2.13.0 onnxruntime==1.32.0 && pip install '
              '--no-deps pesto-pitch==2.0.1 torchcrepe==0.0.24 '
              'omegaconf==2.4.0 resampy==0.4.3 swift-f0==0.3.0 '
              'torchfcpe==0.0.4 local-attention==1.9.0 einops==0.8.2')


class Unavailable(Exception):
  """A tracker cannot run here (package missing); the message says why."""


def package_version(name):
  try:
    return importlib.metadata.version(name)
  except importlib.metadata.PackageNotFoundError:
    return None


class PitchfitTracker:
  """A pitchfit model (a save dir or an exported .npz), tracked as
  `pitchfit evaluate` does: rows exactly on the model's frames, so there is
  no interpolation but the scorer's."""

  name = 'pitchfit'

  def __init__(self, model_path, half_hop=None):
    from pitchfit.evaluate import scoring as evaluation  # pylint: disable=g-import-not-at-top
    from pitchfit.track import predict as predict_lib  # pylint: disable=g-import-not-at-top
    self._estimator = evaluation.ModelEstimator(
        predict_lib.load_model(model_path), half_hop)
    self.version = package_version('pitchfit')
    self.settings = (
        f'{model_path}, frames every {self._estimator.frame_ms:g} ms'
        + (' (two passes half a frame apart)' if self._estimator.half_hop
           else ''))

  def track(self, audio):
    times, f0, _, _ = self._estimator.track(audio)
    return np.asarray(times, np.float64), np.asarray(f0, np.float64)


class PyinTracker:
  """librosa's pYIN with a best-guess f0 in every frame."""

  name = 'pyin'
  frame_length = evaluation.PYIN_FRAME
  hop_length = evaluation.PYIN_HOP

  def __init__(self):
    self.version = package_version('librosa')
    self.settings = (f'fmin {FMIN_HZ} Hz, fmax {FMAX_HZ} Hz, frame '
                     f'{self.frame_length}, hop {self.hop_length}, fill_na=None')

  def track(self, audio):
    times, f0, _, _ = evaluation.run_pyin(audio, SAMPLE_RATE, FMIN_HZ, FMAX_HZ)
    return times, np.asarray(f0, np.float64)


class _IdentityResample:
  """Stand-in for torchaudio.transforms.Resample: audio here is already at
  the rate the peer wants, so only the identity is allowed."""

  def __init__(self, orig_freq=16000, new_freq=16000, **unused_kwargs):
    if orig_freq != new_freq:
      raise RuntimeError('the bench torchaudio stand-in cannot resample '
                         f'({orig_freq} -> {new_freq} Hz): pass 16 kHz audio')

  def to(self, *unused_args, **unused_kwargs):
    return self

  def __call__(self, audio):
    return audio


def torchaudio_standin():
  """An importable `torchaudio` for peers that get arrays, not files.

  PESTO, torchcrepe and FCPE import torchaudio at the top but use it only to
  read files and (FCPE) to resample, never here: they get 16 kHz arrays.
  PyPI's torchaudio wheels are CUDA builds whose extension fails to load
  beside the CPU torch, so this module takes its place: empty but for
  `transforms.Resample`, which FCPE imports by name.
  """
  module = types.ModuleType('torchaudio')
  transforms = types.ModuleType('torchaudio.transforms')
  transforms.Resample = _IdentityResample
  module.transforms = transforms
  module.__bench_standin__ = True
  return module


def _import_torch_peer(module_name):
  """Imports pesto, torchcrepe or torchfcpe, working around torchaudio.

  If torchaudio is missing or broken, `torchaudio_standin()` takes its place
  (bench only; the package never imports these peers).
  """
  try:
    import torch  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    raise Unavailable(f'torch is not installed ({PEERS_HINT})') from None
  try:
    return importlib.import_module(module_name)
  except ModuleNotFoundError as e:
    if e.name not in ('torchaudio', 'torchaudio.transforms'):
      raise Unavailable(f'{module_name} is not installed ({PEERS_HINT})') from None
  except OSError:  # torchaudio's CUDA extension
    pass
  for name in [m for m in sys.modules if m.split('.')[0] in ('torchaudio',
                                                              module_name)]:
    del sys.modules[name]
  standin = torchaudio_standin()
  sys.modules['torchaudio'] = standin
  sys.modules['torchaudio.transforms'] = standin.transforms
  try:
    return importlib.import_module(module_name)
  except ModuleNotFoundError as e:  # one of the peer's own dependencies
    raise Unavailable(f'{module_name} cannot be imported: no module '
                      f'{e.name} ({PEERS_HINT})') from None


class PestoTracker:
  """PESTO (Riou et al. 2023), its default shipped model."""

  name = 'pesto'
  model_name = 'mir-1k_g7'

  def __init__(self):
    pesto = _import_torch_peer('pesto')
    import torch  # pylint: disable=g-import-not-at-top
    self._torch = torch
    self.model = pesto.load_model(self.model_name, step_size=HOP_S * 1000.0,
                                  sampling_rate=SAMPLE_RATE)
    self.version = package_version('pesto-pitch')
    self.settings = f'model {self.model_name}, step {HOP_S * 1000:g} ms'

  def track(self, audio):
    torch = self._torch
    with torch.inference_mode():
      f0, _, _ = self.model(torch.from_numpy(np.asarray(audio, np.float32)),
                            sr=SAMPLE_RATE, convert_to_freq=True,
                            return_activations=False)
    f0 = f0.numpy().astype(np.float64)
    return np.arange(f0.size) * HOP_S, f0


class TorchcrepeTracker:
  """CREPE (Kim et al. 2018) as torchcrepe, Viterbi decoding."""

  name = 'torchcrepe'

  def __init__(self, capacity='full'):
    self._crepe = _import_torch_peer('torchcrepe')
    import torch  # pylint: disable=g-import-not-at-top
    self._torch = torch
    self.capacity = capacity
    self.hop_length = int(round(HOP_S * SAMPLE_RATE))
    self.version = package_version('torchcrepe')
    self.settings = (f'model {capacity}, hop {self.hop_length}, fmin '
                     f'{FMIN_HZ} Hz, fmax {FMAX_HZ} Hz, Viterbi')

  def track(self, audio):
    torch = self._torch
    with torch.inference_mode():
      f0 = self._crepe.predict(
          torch.from_numpy(np.asarray(audio, np.float32))[None], SAMPLE_RATE,
          hop_length=self.hop_length, fmin=FMIN_HZ, fmax=FMAX_HZ,
          model=self.capacity, batch_size=512, device='cpu', pad=True)
    f0 = f0[0].numpy().astype(np.float64)
    # pad=True: frame k is centred on sample k * hop.
    return np.arange(f0.size) * self.hop_length / SAMPLE_RATE, f0


class SwiftF0Tracker:
  """SwiftF0 (`swift-f0`): a small ONNX model, a pitch every 16 ms."""

  name = 'swiftf0'

  def __init__(self):
    try:
      import swift_f0  # pylint: disable=g-import-not-at-top
    except ImportError as e:
      raise Unavailable(f'swift-f0 cannot be imported: {e} ({PEERS_HINT})'
                        ) from None
    # spin=False: the thread pool sleeps between clips instead of
    # busy-waiting beside the other trackers (and a training run).
    self._detector = swift_f0.SwiftF0(spin=False)
    self.version = package_version('swift-f0')
    self.settings = (f'range {swift_f0.FMIN:g}-{swift_f0.FMAX:g} Hz (all), '
                     f'frames every {swift_f0.FRAME_PERIOD * 1000:g} ms, '
                     'pitch_hz of every frame')

  def track(self, audio):
    result = self._detector.detect(np.asarray(audio, np.float32), SAMPLE_RATE)
    # timestamps: frame k is centred on sample k * 256.
    return result.timestamps, result.pitch_hz


class FcpeTracker:
  """FCPE (`torchfcpe`), its bundled model, a pitch every 10 ms."""

  name = 'fcpe'
  decoder = 'local_argmax'

  def __init__(self):
    torchfcpe = _import_torch_peer('torchfcpe')
    import torch  # pylint: disable=g-import-not-at-top
    self._torch = torch
    # The loader prints [INFO]/[WARN] lines to stdout; keep the report clean.
    with contextlib.redirect_stdout(io.StringIO()):
      self.model = torchfcpe.spawn_bundled_infer_model('cpu')
    self.hop_s = self.model.get_hop_size() / SAMPLE_RATE
    f0_range = self.model.get_model_f0_range()
    self.version = package_version('torchfcpe')
    self.settings = (f'bundled model, decoder {self.decoder}, threshold 0, '
                     f'range {f0_range["f0_min"]:g}-{f0_range["f0_max"]:g} Hz '
                     f'(all), hop {self.hop_s * 1000:g} ms')

  def track(self, audio):
    torch = self._torch
    x = torch.from_numpy(np.asarray(audio, np.float32))[None, :, None]
    # FCPE prints '[error ...] max value is ...' for samples beyond +-1 (a
    # noisy or reverberant variant can have them) and goes on unchanged.
    with torch.inference_mode(), contextlib.redirect_stdout(io.StringIO()):
      f0 = self.model.infer(x, sr=SAMPLE_RATE, decoder_mode=self.decoder,
                            threshold=0.0)
    f0 = f0[0, :, 0].numpy().astype(np.float64)
    # Frame k is centred on sample k * hop (a step in f0 at 1.0 s shows
    # from frame 101 on, at 10 ms hops).
    return np.arange(f0.size) * self.hop_s, f0


def make_trackers(names, model_path=None, crepe_capacity='full', log=print,
                  half_hop=None):
  """The trackers named, in order; those that cannot run are logged and left out.

  Args:
    names: subset of TRACKER_NAMES.
    model_path: the pitchfit model (needed for 'pitchfit').
    crepe_capacity: 'full' or 'tiny'.
    log: callable(str) for skip notes.
    half_hop: pitchfit's two-pass mode; None for predict()'s default.

  Returns:
    (trackers, notes): the tracker objects, and one line per skipped one.
  """
  makers = {
      'pitchfit': lambda: PitchfitTracker(model_path, half_hop),
      'pyin': PyinTracker,
      'pesto': PestoTracker,
      'torchcrepe': lambda: TorchcrepeTracker(crepe_capacity),
      'swiftf0': SwiftF0Tracker,
      'fcpe': FcpeTracker,
  }
  trackers, notes = [], []
  for name in names:
    if name not in makers:
      raise ValueError(f'unknown tracker {name!r} (choose from '
                       f'{", ".join(TRACKER_NAMES)})')
    try:
      trackers.append(makers[name]())
    except Unavailable as e:
      notes.append(f'{name}: skipped, {e}')
      log(notes[-1])
  return trackers, notes


def estimate_at(ref_time, est_time, est_f0):
  """An estimate read at the reference's times, f0 interpolated in log-frequency.

  Args:
    ref_time: [n] s.
    est_time: [m] s, increasing; est_f0: [m] Hz, NaN or <= 0 = no estimate.

  Returns:
    f0 [n] Hz; 0 where the nearest estimate frame has none, or where the
    reference time lies more than one estimate hop beyond the estimate's
    ends (so such frames count as wrong, not as a held guess).
  """
  ref_time = np.asarray(ref_time, np.float64)
  est_time = np.asarray(est_time, np.float64)
  est_f0 = np.asarray(est_f0, np.float64)
  valid = np.isfinite(est_f0) & (est_f0 > 0)
  if not valid.any():
    return np.zeros_like(ref_time)
  log_f0 = np.interp(ref_time, est_time[valid], np.log(est_f0[valid]))
  nearest = evaluation.nearest_index(ref_time, est_time)
  hop = np.median(np.diff(est_time)) if est_time.size > 1 else HOP_S
  inside = (ref_time >= est_time[0] - hop) & (ref_time <= est_time[-1] + hop)
  return np.where(valid[nearest] & inside, np.exp(log_f0), 0.0)
