"""A Beam runner on a Dask cluster that runs TFDS's pipelines correctly.

    tfds build tfds_builders/synthetic_notes --config small \\
      --beam_pipeline_options="runner=DaskRunner,dask_client_address=tcp://HOST:8786"

`runner=tfds_builders.dask_runner.DaskRunner` selects this class from any
Beam pipeline; synthetic_notes also registers the short name
`runner=DaskRunner` for it. It is
Beam 2.77's `apache_beam.runners.dask.dask_runner.DaskRunner` (same options:
`dask_client_address`, `dask_npartitions`, ...) with its translation to Dask
bags rewritten, because Beam's version computes wrong results for TFDS:

1. Its bundle function returns a ParDo's outputs *before* calling
   `finish_bundle`, and its receivers' output list is one object shared by
   every bundle of the step. Outputs emitted in `finish_bundle` are lost or
   leak into a later bundle. `beam.combiners.Top.Largest` emits there, so
   TFDS's `largest_key` side input is `[]` and `_assign_shard` fails with
   IndexError (the failure seen with Beam's runner).
2. It computes only the last transform's bag, so every other branch of a
   pipeline never runs: TFDS writes each split in its own branch.
3. A side input is a Dask bag that every task re-computes inside itself
   (`list(bag)` in the task), once per partition.
4. All tagged outputs of a ParDo go into one bag that every consumer reads.
5. `Create` puts up to 128 elements in one partition, so the work items of a
   build (a few hundred chunks of examples) run in one task on one worker.

Here each PCollection is a bag of `WindowedValue`s; a ParDo runs Beam's own
`DoFnRunner` over a partition with fresh receivers (start, process,
finish, then outputs); a side input is computed once, as a Dask delayed list
that the scheduler hands to each task; GroupByKey is a task-based shuffle by
a hash of the pickled key (the same on every worker, unlike `hash(None)`);
every PCollection that nothing consumes is computed; `Create` makes one
partition per element (up to `MAX_CREATE_PARTITIONS`) unless
`dask_npartitions`/`dask_partition_size` say otherwise. DoFns travel
pickled by Beam's own pickler, as on Beam's other runners.

Workers need this package installed (they import `tfds_builders` to unpickle
the tasks), and so TensorFlow; the scheduler needs only `distributed`.
Batch pipelines in the global window only (no timers, state or splittable
DoFns): what TFDS builds with.
"""

import hashlib
import pickle

from apache_beam import pvalue
from apache_beam.internal import pickler
from apache_beam.pipeline import PipelineVisitor
from apache_beam.runners.common import DoFnRunner
from apache_beam.runners.common import Receiver
from apache_beam.runners.runner import PipelineState
from apache_beam.transforms import core
from apache_beam.transforms import sideinputs
from apache_beam.transforms import window

try:
  from apache_beam.runners.dask import dask_runner as beam_dask
  from apache_beam.runners.dask import overrides
except ImportError as e:
  raise ImportError(
      f'the Dask runner needs Dask ({e}): pip install "pitchfit[dask]" or '
      '"apache-beam[dask]" on the machine that submits the build and on '
      'every worker') from None

# One Dask partition per Create element (a work item, e.g. 500 examples of
# synthetic_notes) up to this many; beyond it, elements share partitions.
MAX_CREATE_PARTITIONS = 20000


# --------------------------------------------------- functions run in tasks
# Module level, so Dask pickles them by reference to this module.
class _ListReceiver(Receiver):
  """Collects a ParDo's (tag, WindowedValue) outputs of one bundle."""

  def __init__(self, tag, out):
    self.tag = tag
    self.out = out

  def receive(self, windowed_value):
    self.out.append((self.tag, windowed_value))


class _Receivers(dict):
  """Receivers by output tag (None: the main output), made on first use."""

  def __init__(self, out):
    super().__init__()
    self.out = out

  def __missing__(self, tag):
    self[tag] = _ListReceiver(tag, self.out)
    return self[tag]


def _run_pardo_bundle(partition, payload, single_output, **side_values):
  """Runs a pickled ParDo over one partition (a Beam bundle).

  Args:
    partition: iterable of WindowedValue, the main input.
    payload: bytes from `_pardo_payload`.
    single_output: return the main output's bare WindowedValues instead of
      (tag, WindowedValue) pairs of every output.
    **side_values: side input `side<i>` as a list of WindowedValue.

  Returns:
    list of outputs, including those emitted in finish_bundle.
  """
  spec = pickler.loads(payload)
  side_inputs = [
      sideinputs.SideInputMap(view_class, view_options,
                              side_values[f'side{i}'])
      for i, (view_class, view_options) in enumerate(spec['side_inputs'])]
  out = []
  runner = DoFnRunner(spec['fn'], spec['args'], spec['kwargs'], side_inputs,
                      spec['windowing'], tagged_receivers=_Receivers(out),
                      step_name=spec['label'])
  runner.setup()
  runner.start()
  for windowed_value in partition:
    runner.process(windowed_value)
  runner.finish()
  runner.teardown()
  if single_output:
    return [value for tag, value in out if tag is None]
  return out


def _concat(parts):
  """One list from a bag's partitions (a side input's whole content)."""
  return [item for part in parts for item in part]


def _untag(tagged):
  return tagged[1]


def _to_windowed(value):
  return window.GlobalWindows.windowed_value(value)


def _unwindow(windowed_value):
  return windowed_value.value


def _key(pair):
  return pair[0]


def stable_hash(key):
  """A hash of a key that every worker process agrees on.

  Python's hash() of None, and of str/bytes without PYTHONHASHSEED, differs
  between processes; a shuffle by it would split a key's group in two.
  """
  digest = hashlib.blake2b(pickle.dumps(key, protocol=4), digest_size=8)
  return int.from_bytes(digest.digest(), 'big')


def _grouped(key_items):
  """(key, [(key, value), ...]) -> WindowedValue((key, [value, ...]))."""
  key, items = key_items
  return window.GlobalWindows.windowed_value((key, [v for _, v in items]))


# ------------------------------------------------------ graph construction
def _pardo_payload(applied):
  """Everything a task needs to run a ParDo, pickled by Beam's pickler."""
  transform = applied.transform
  main_input = applied.main_inputs[next(iter(applied.main_inputs))]
  return pickler.dumps({
      'fn': transform.fn,
      'args': list(getattr(transform, 'args', [])),
      'kwargs': dict(getattr(transform, 'kwargs', {})),
      'windowing': main_input.windowing,
      'label': applied.full_label,
      'side_inputs': [(type(si), si._view_options())  # pylint: disable=protected-access
                      for si in transform.side_inputs],
  })


class _BagBuilder(PipelineVisitor):
  """Translates each leaf transform into Dask bags of WindowedValues."""

  def __init__(self, bag_kwargs):
    self.bag_kwargs = bag_kwargs
    self.bags = {}         # PCollection -> dask.bag.Bag
    self.consumed = set()  # PCollections read by some transform
    self._side_lists = {}  # PCollection -> Delayed list (computed once)

  def visit_transform(self, applied):
    transform = applied.transform
    inputs = [i for i in applied.inputs if not isinstance(i, pvalue.PBegin)]
    self.consumed.update(inputs)
    self.consumed.update(si.pvalue for si in applied.side_inputs)
    if isinstance(transform, overrides._Create):  # pylint: disable=protected-access
      bag = self._create(transform.values)
    elif isinstance(transform, core.ParDo):
      return self._pardo(applied, inputs)
    elif isinstance(transform, overrides._GroupByKeyOnly):  # pylint: disable=protected-access
      bag = self._group_by_key(self.bags[inputs[0]])
    elif isinstance(transform, overrides._Flatten):  # pylint: disable=protected-access
      bag = self._flatten([self.bags[i] for i in inputs])
    elif isinstance(transform, overrides._Reshuffle):  # pylint: disable=protected-access
      bag = self.bags[inputs[0]]  # Create already spreads work items.
    else:
      raise NotImplementedError(
          f'{__name__}.DaskRunner: no translation for '
          f'{type(transform).__name__} ({applied.full_label})')
    for output in applied.outputs.values():
      self.bags[output] = bag

  def _create(self, values):
    import dask.bag as db  # pylint: disable=g-import-not-at-top
    items = [_to_windowed(v) for v in values]
    kwargs = dict(self.bag_kwargs)
    if not kwargs:
      kwargs['npartitions'] = max(1, min(len(items), MAX_CREATE_PARTITIONS))
    return db.from_sequence(items, **kwargs)

  def _side_list(self, pcoll):
    import dask  # pylint: disable=g-import-not-at-top
    if pcoll not in self._side_lists:
      parts = self.bags[pcoll].to_delayed(optimize_graph=False)
      self._side_lists[pcoll] = dask.delayed(_concat, pure=True)(parts)
    return self._side_lists[pcoll]

  def _pardo(self, applied, inputs):
    if not inputs:
      raise NotImplementedError(
          f'{__name__}.DaskRunner: a ParDo on the pipeline itself '
          f'({applied.full_label}); start from beam.Create')
    sides = {f'side{i}': self._side_list(si.pvalue)
             for i, si in enumerate(applied.transform.side_inputs)}
    outputs = applied.outputs
    single = len(outputs) == 1
    bag = self.bags[inputs[0]].map_partitions(
        _run_pardo_bundle, _pardo_payload(applied), single, **sides)
    for tag, output in outputs.items():
      if single:
        self.bags[output] = bag
      else:
        self.bags[output] = bag.filter(_TagFilter(tag)).map(_untag)

  def _group_by_key(self, bag):
    from dask.bag import core as bag_core  # pylint: disable=g-import-not-at-top
    pairs = bag.map(_unwindow)
    return bag_core.groupby_tasks(pairs, _key, hash=stable_hash).map(_grouped)

  def _flatten(self, bags):
    import dask.bag as db  # pylint: disable=g-import-not-at-top
    if not bags:
      return db.from_sequence([], npartitions=1)
    return db.concat(bags)

  def sinks(self):
    """Bags of the PCollections that no transform reads."""
    return [bag for pcoll, bag in self.bags.items()
            if pcoll not in self.consumed]


class _TagFilter:
  """Picklable predicate: is this (tag, value) of the given output tag?"""

  def __init__(self, tag):
    self.tag = tag

  def __call__(self, tagged):
    return tagged[0] == self.tag


class _Result(beam_dask.DaskRunnerResult):
  """Closes the Dask client (not the cluster) once the pipeline finished."""

  def wait_until_finish(self, duration=None):
    try:
      return super().wait_until_finish(duration)
    finally:
      if PipelineState.is_terminal(self._state):
        self.client.close()


class DaskRunner(beam_dask.DaskRunner):
  """Beam's DaskRunner with a translation that runs TFDS pipelines right."""

  def run_pipeline(self, pipeline, options):
    import dask.distributed as ddist  # pylint: disable=g-import-not-at-top
    dask_options = options.view_as(beam_dask.DaskOptions).get_all_options(
        drop_default=True, current_only=True)
    bag_kwargs = beam_dask.DaskOptions._extract_bag_kwargs(dask_options)  # pylint: disable=protected-access
    client = ddist.Client(**dask_options)
    try:
      pipeline.replace_all(overrides.dask_overrides())
      builder = _BagBuilder(bag_kwargs)
      pipeline.visit(builder)
      # Count each sink: the counts are all that comes back to this process.
      futures = client.compute([bag.count() for bag in builder.sinks()])
    except BaseException:
      client.close()
      raise
    return _Result(client, futures)
