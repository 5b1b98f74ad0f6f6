"""A pitch model exported by `pitchfit export` (LiteRT flatbuffer), run without TensorFlow.

The `.tflite` file holds the tracking part of a model only: audio windows
[batch, n_samples] -> f0 (Hz, decoded around the softmax peak), f0 logits,
harmonic amplitudes and noise magnitudes per frame: what the tracker and the
voicing calibration (pitchfit.track.voicing) read. No synthesizer, no
optimizer, no training code. A log-frequency CNN's file (format 2) starts
at the windows' STFT magnitudes instead, computed here in NumPy
(pitchfit.dsp.numpy_stft); callers still pass audio windows.

Everything needed to use it travels inside the same file, in the flatbuffer's
`metadata` table (named buffers; the mechanism TFLite's own model metadata
uses, ignored by any reader that does not know the name): one UTF-8 JSON
document under METADATA_NAME with the model's config, its voicing
calibration, the window and hop, the fixed batch size and which output tensor
is which. One file cannot lose its calibration the way a sidecar can, and
any LiteRT tool still opens it as a plain model.

Reading the metadata uses the flatbuffer schema that `ai-edge-litert` ships;
running it uses `ai_edge_litert.interpreter`. Nothing here imports
TensorFlow (tests/test_light_install.py checks it).
"""

import contextlib
import json
import os

import numpy as np

from pitchfit import config as config_lib
from pitchfit.dsp import numpy_stft
from pitchfit.errors import UserError

METADATA_NAME = 'pitchfit'
# 1: audio windows in. 2: the same, or, with `stft_inputs` ({input name:
# fft_size}) in the metadata, the windows' STFT magnitudes in.
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)
OUTPUT_KEYS = ('f0_hz', 'f0_logits', 'harm_amps', 'noise_magnitudes')
# Interpreter threads when none are asked for: LiteRT's own default is one.
# The default model runs one 1-s window per call (batch 1), and two threads
# took its in-memory real-time factor from 0.025 to 0.017 on two cores
# (experiments/default_model_v3); beyond four, XNNPACK's gains are small.
MAX_DEFAULT_THREADS = 4
# A model with a free time axis keeps one interpreter per window length, for
# the lengths it was given last, at most this many: the tracker's long
# windows and the shorter last window of each file. Re-planning one
# interpreter for the other length every file costs 10-20 ms each time
# (XNNPACK prepares the graph again), a fifth of a folder of 2-9 s files.
MAX_PLANS = 2


def default_num_threads():
  """Threads for the interpreter: the CPUs this process may use, at most 4."""
  try:
    n = len(os.sched_getaffinity(0))
  except AttributeError:  # not on Linux
    n = os.cpu_count() or 1
  return max(1, min(MAX_DEFAULT_THREADS, n))


_INSTALL_HINT = ('ai-edge-litert is not installed; `pip install '
                 'ai-edge-litert==2.3.0` (a dependency of pitchfit)')


def _schema():
  try:
    from ai_edge_litert import schema_py_generated  # pylint: disable=g-import-not-at-top
  except ImportError:
    raise UserError(_INSTALL_HINT) from None
  return schema_py_generated


# Where the metadata lookup reads in TFLite's schema (schema.fbs): the vtable
# slot of a table's field i is at byte 4 + 2 * i. Model: buffers (4) and
# metadata (6); Metadata: name (0), buffer (1); Buffer: data (0).
_MODEL_BUFFERS, _MODEL_METADATA = 4, 6
_METADATA_NAME, _METADATA_BUFFER = 0, 1
_BUFFER_DATA = 0


def _slot(field):
  return 4 + 2 * field


def read_metadata(data):
  """The pitchfit metadata dict of a flatbuffer (bytes), or None if absent.

  Reads the three tables it needs with the flatbuffers runtime alone: the
  generated schema module (`_schema`, used to write at export time) takes
  10 ms to import, a third of what a whole one-file `pitchfit predict`
  spends outside Python's and numpy's start-up.
  """
  from flatbuffers import encode  # pylint: disable=g-import-not-at-top
  from flatbuffers import number_types  # pylint: disable=g-import-not-at-top
  from flatbuffers import packer  # pylint: disable=g-import-not-at-top
  from flatbuffers import table  # pylint: disable=g-import-not-at-top
  model = table.Table(data, encode.Get(packer.uoffset, data, 0))

  def tables(parent, field):
    """The tables of a vector field of `parent`, in order."""
    o = parent.Offset(_slot(field))
    if not o:
      return []
    start = parent.Vector(o)
    return [table.Table(data, parent.Indirect(start + 4 * j))
            for j in range(parent.VectorLen(o))]

  buffers = None
  for entry in tables(model, _MODEL_METADATA):
    o = entry.Offset(_slot(_METADATA_NAME))
    if not o or entry.String(o + entry.Pos) != METADATA_NAME.encode():
      continue
    o = entry.Offset(_slot(_METADATA_BUFFER))
    index = entry.Get(number_types.Uint32Flags, o + entry.Pos) if o else 0
    buffers = buffers or tables(model, _MODEL_BUFFERS)
    buffer = buffers[index]
    o = buffer.Offset(_slot(_BUFFER_DATA))
    if not o:
      return None
    start = buffer.Vector(o)
    raw = data[start:start + buffer.VectorLen(o)]
    return json.loads(bytes(raw).decode('utf-8'))
  return None


def with_metadata(data, metadata):
  """A copy of a flatbuffer (bytes) with `metadata` (a JSON-able dict) added.

  Replaces an earlier entry of the same name. Used at export time.
  """
  import flatbuffers  # pylint: disable=g-import-not-at-top
  schema = _schema()
  model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
  model.metadata = [m for m in (model.metadata or [])
                    if (m.name.decode() if isinstance(m.name, bytes)
                        else m.name) != METADATA_NAME]
  buffer = schema.BufferT()
  buffer.data = np.frombuffer(json.dumps(metadata).encode('utf-8'), np.uint8)
  model.buffers.append(buffer)
  entry = schema.MetadataT()
  entry.name = METADATA_NAME
  entry.buffer = len(model.buffers) - 1
  model.metadata.append(entry)
  builder = flatbuffers.Builder(len(data) + 65536)
  builder.Finish(model.Pack(builder), file_identifier=b'TFL3')
  return bytes(builder.Output())


# LiteRT announces its CPU delegate on fd 2 once per process, at the first
# plan of any interpreter. Only that plan is silenced: fd 2 is shared by every
# thread, and silencing it later could swallow another thread's error line.
_delegate_announced = False


def _silence_announcement():
  """stderr_silenced() until the first plan has been made, then a no-op."""
  from pitchfit.quiet import stderr_silenced  # pylint: disable=g-import-not-at-top
  return (contextlib.nullcontext() if _delegate_announced
          else stderr_silenced())


def is_litert_file(path):
  """True if path is a file that starts like a TFLite flatbuffer."""
  try:
    with open(path, 'rb') as f:
      head = f.read(8)
  except OSError:
    return False
  return len(head) == 8 and head[4:8] == b'TFL3'


class _Plan:
  """One interpreter, planned for windows of `length` samples (None: not yet).

  inputs: input name -> tensor index (one audio input, or one per STFT
  size); outputs: OUTPUT_KEYS -> index.
  """

  def __init__(self, interpreter, inputs, outputs):
    self.interpreter = interpreter
    self.inputs = inputs
    self.outputs = outputs
    self.length = None


class LiteRTModel:
  """An exported model with the interface of PitchModel that tracking uses.

  Attributes: config (pitchfit.config.Config), voicing (calibration dict),
  source (the file), sample_rate, n_samples (window), n_frames, hop_size
  (samples per frame), batch_size (windows per interpreter call),
  variable_length (windows may be any whole number of frames long, not
  only n_samples; an interpreter is planned for each length, and the last
  MAX_PLANS of them are kept).
  """

  def __init__(self, path, num_threads=None):
    path = os.fspath(path)
    try:
      with open(path, 'rb') as f:
        data = f.read()
    except OSError as e:
      raise UserError(f'{path}: cannot read ({e.strerror})') from None
    try:
      metadata = read_metadata(data)
    except (UserError, ImportError):
      raise
    except Exception:  # pylint: disable=broad-except  (any flatbuffer damage)
      metadata = None
    if not metadata or not isinstance(metadata.get('format'), int):
      raise UserError(f'{path}: not a model written by `pitchfit export` '
                      '(no pitchfit metadata in this .tflite)')
    if metadata['format'] not in READABLE_FORMATS:
      raise UserError(f'{path}: written by a newer pitchfit (model format '
                      f'{metadata["format"]}; this one reads '
                      f'{", ".join(map(str, READABLE_FORMATS))}); upgrade '
                      'pitchfit')
    self.source = path
    self._data = data
    self.metadata = metadata
    self.config = config_lib.from_dict(metadata['config'], path, check=False)
    self.voicing = metadata['voicing']
    self.sample_rate = int(metadata['sample_rate'])
    self.n_samples = int(metadata['n_samples'])
    self.n_frames = int(metadata['n_frames'])
    self.hop_size = int(metadata['hop_size'])
    self.batch_size = int(metadata['batch_size'])
    self.variable_length = bool(metadata.get('variable_length', False))
    # {input name: fft_size} when the file starts at STFT magnitudes.
    self.stft_inputs = {name: int(size) for name, size in
                        metadata.get('stft_inputs', {}).items()}
    self._num_threads = num_threads or default_num_threads()
    # _Plan, the most recently used first. A free time axis is planned at the
    # first call, to its length (a plan for another length would be wasted),
    # but its interpreter is made now, so a damaged file fails here.
    self._plans = []
    if self.variable_length:
      with self._loading():
        self._plans.append(self._new_plan())
    else:
      self._plan_for(self.n_samples)

  def copy(self, num_threads=None):
    """The same model on an interpreter of its own (e.g. one per thread).

    An interpreter runs one call at a time; threads that track files side by
    side each need their own. The file is not read again. Make copies in the
    main thread: until the process's one delegate announcement has been
    made (and silenced), the copy is planned here, before any other thread
    writes to stderr.

    A free time axis is planned for the length the model last ran, if any;
    otherwise at its first call, to that call's length (a plan for its 1-s
    training window was 6 ms wasted per copy, then 18 ms again for a 3-s
    file). Only the first plan of the process is made here regardless, for
    one frame (the cheapest), and that interpreter is planned again at the
    first call.
    """
    clone = object.__new__(type(self))
    clone.__dict__.update(self.__dict__)
    clone._num_threads = num_threads or default_num_threads()  # pylint: disable=protected-access
    clone._plans = []  # pylint: disable=protected-access
    planned = [plan.length for plan in self._plans if plan.length is not None]
    if not self.variable_length:
      clone._plan_for(self.n_samples)  # pylint: disable=protected-access
    elif planned:
      clone._plan_for(planned[0])  # pylint: disable=protected-access
    else:
      with clone._loading():  # pylint: disable=protected-access
        clone._plans.append(clone._new_plan())  # pylint: disable=protected-access
      if not _delegate_announced:
        clone._plan_for(self.hop_size).length = None  # pylint: disable=protected-access
    return clone

  def _plan_for(self, length):
    """An interpreter planned for windows of `length` samples.

    The one already planned for it if any; else the least recently used one,
    planned again, once there are MAX_PLANS (one for a fixed window); else a
    new interpreter.
    """
    global _delegate_announced
    for i, plan in enumerate(self._plans):
      if plan.length == length:
        self._plans.insert(0, self._plans.pop(i))
        return plan
    limit = MAX_PLANS if self.variable_length else 1
    with self._loading(), _silence_announcement():
      # The least recently used one, if the pool is full or it was made at
      # load and never planned.
      if self._plans and (len(self._plans) >= limit
                          or self._plans[-1].length is None):
        plan = self._plans.pop()
      else:
        plan = self._new_plan()
      for name, index in plan.inputs.items():
        plan.interpreter.resize_tensor_input(index,
                                             self._input_shape(name, length))
      plan.interpreter.allocate_tensors()
    _delegate_announced = True
    plan.length = length
    self._plans.insert(0, plan)
    return plan

  def _input_shape(self, name, length):
    """The shape of input `name` for windows of `length` samples."""
    if not self.stft_inputs:
      return [self.batch_size, length]
    return [self.batch_size, length // self.hop_size,
            self.stft_inputs[name] // 2 + 1]

  def _set_inputs(self, plan, batch):
    """Fills the plan's inputs from a [batch_size, length] batch of windows.

    STFT magnitudes are written straight into the interpreter's input
    tensors (no copy; the views are gone before invoke, as LiteRT asks).
    """
    if not self.stft_inputs:
      for index in plan.inputs.values():  # the one audio input
        plan.interpreter.set_tensor(index, np.ascontiguousarray(batch))
      return
    for name, size in self.stft_inputs.items():
      tensor = plan.interpreter.tensor(plan.inputs[name])
      numpy_stft.stft_magnitudes(batch, size, self.hop_size, out=tensor())

  @contextlib.contextmanager
  def _loading(self):
    """LiteRT's errors in making or planning an interpreter as UserError."""
    try:
      yield
    except (ValueError, RuntimeError) as e:
      raise UserError(f'{self.source}: LiteRT cannot load this model '
                      f'({str(e).splitlines()[0]})') from None

  def _new_plan(self):
    """A new interpreter of self._data, not yet planned."""
    try:
      from ai_edge_litert.interpreter import Interpreter  # pylint: disable=g-import-not-at-top
    except ImportError:
      raise UserError(_INSTALL_HINT) from None
    interpreter = Interpreter(model_content=self._data,
                              num_threads=self._num_threads)
    by_name = {d['name']: d['index'] for d in interpreter.get_output_details()}
    outputs = {key: by_name[name]
               for name, key in self.metadata['outputs'].items()}
    inputs = {d['name']: d['index'] for d in interpreter.get_input_details()}
    if self.stft_inputs:
      missing = set(self.stft_inputs) - set(inputs)
      if missing:
        raise UserError(f'{self.source}: damaged model (no input '
                        f'{sorted(missing)[0]})')
    else:
      inputs = dict(list(inputs.items())[:1])
    return _Plan(interpreter, inputs, outputs)

  def __call__(self, windows):
    """Runs the model on windows, batch_size at a time.

    Args:
      windows: float32 [b, n_samples] at sample_rate, any b >= 1 (the last
        call is padded with zeros to the file's fixed batch size); with
        variable_length, [b, n] for any n that is a positive multiple of
        hop_size.

    Returns:
      dict of float32 numpy arrays [b, n_frames, ...]: f0_hz [.., 1],
      f0_logits [.., f0_bins], harm_amps [.., n_harmonics],
      noise_magnitudes [.., n_noise_bands].
    """
    windows = np.asarray(windows, np.float32)
    length = windows.shape[-1]
    if self.variable_length:
      if windows.ndim != 2 or not length or length % self.hop_size:
        raise ValueError(f'windows must be [b, a multiple of {self.hop_size}]'
                         f', not {windows.shape}')
    elif windows.ndim != 2 or length != self.n_samples:
      raise ValueError(f'windows must be [b, {self.n_samples}], not '
                       f'{windows.shape}')
    plan = self._plan_for(length)
    n = windows.shape[0]
    parts = {key: [] for key in plan.outputs}
    for start in range(0, n, self.batch_size):
      batch = windows[start:start + self.batch_size]
      used = batch.shape[0]
      if used < self.batch_size:
        batch = np.concatenate(
            [batch, np.zeros((self.batch_size - used, length), np.float32)])
      self._set_inputs(plan, batch)
      plan.interpreter.invoke()
      for key, index in plan.outputs.items():
        parts[key].append(plan.interpreter.get_tensor(index)[:used].copy())
    return {key: np.concatenate(value) for key, value in parts.items()}
