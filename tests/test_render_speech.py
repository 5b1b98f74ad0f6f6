"""tools/render_speech.py: the plan, the voicing of phones, and a short render."""

import importlib.util
import os

import numpy as np
import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    'render_speech', os.path.join(REPO, 'tools', 'render_speech.py'))
rs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rs)


needs_festival = pytest.mark.skipif(
    rs.missing_tools() is not None,
    reason=f'needs Festival and its voices ({rs.INSTALL_HINT})')


def test_plan_is_seeded_and_seeds_differ():
  first, again, other = rs.plan(5, 20), rs.plan(5, 20), rs.plan(6, 20)
  assert first == again
  assert [u.text for u in first] != [u.text for u in other]
  assert len({u.voice.name for u in rs.plan(5, 60)}) == len(rs.VOICES)
  for u in first:
    low, high = u.voice.f0_range_hz
    assert low <= u.mean_f0_hz <= high
    assert rs.RANGE_FACTOR[0] <= u.range_factor <= rs.RANGE_FACTOR[1]
    assert u.text[-1] in '.?' and u.text[0].isupper()
    assert set(u.text) <= set('abcdefghijklmnopqrstuvwxyz'
                              'ABCDEFGHIJKLMNOPQRSTUVWXYZ ,.?')


def test_voiced_runs_merge_neighbours_and_trim_their_ends():
  phones = [(0.10, 'pau', '-', '-', '0'),
            (0.20, 'm', '-', '+', 'n'),     # nasal: voiced
            (0.35, 'a', '+', '0', '0'),     # vowel, joined to the nasal
            (0.45, 's', '-', '-', 'f'),     # unvoiced fricative
            (0.55, 'z', '-', '+', 'f'),     # voiced fricative: not labelled
            (0.70, 'o', '+', '0', '0'),
            (0.74, 'l', '-', 'u', '0'),     # Czech sonorant
            (0.80, 't', '-', '-', 's'),
            (0.84, 'e', '+', '0', '0')]     # 40 ms: too short once trimmed
  runs = rs.voiced_runs(phones, edge_s=0.02, min_run_s=0.03)
  np.testing.assert_allclose(runs, [(0.12, 0.33), (0.57, 0.72)])


def test_labels_are_zero_outside_voiced_runs_and_follow_the_track():
  track_t = np.arange(0.01, 1.0, 0.01)
  track_f0 = np.geomspace(100.0, 200.0, track_t.size)
  voiced = track_t < 0.8        # the track itself goes unvoiced at 0.8 s
  phones = [(0.2, 'pau', '-', '-', '0'), (0.9, 'a', '+', '0', '0')]
  times, f0 = rs.f0_labels((track_t, track_f0, voiced), phones, 1.0)
  labelled = f0 > 0
  assert times[labelled].min() >= 0.22 - 1e-9
  assert times[labelled].max() < 0.8
  np.testing.assert_allclose(
      f0[labelled], np.interp(times[labelled], track_t, track_f0), rtol=2e-3)


def test_festival_script_quotes_text():
  u = rs.plan(1, 1)[0]._replace(text='Say "hi" now.')
  script = rs.festival_script([u], '/tmp/x')
  assert '(pf_speak "Say \\"hi\\" now."' in script
  assert f'(voice_{u.voice.name})' in script


@needs_festival
def test_rendered_speech_has_the_labelled_pitch(tmp_path):
  """pYIN, run on the audio, agrees with the labels: they are its pitch."""
  import librosa  # pylint: disable=g-import-not-at-top
  import soundfile  # pylint: disable=g-import-not-at-top
  utterances = [u for u in rs.plan(31, 12)][:6]
  seconds = rs.render_all(utterances, tmp_path, progress=False)
  assert seconds > 6.0
  agree, labelled = 0, 0
  for u in utterances:
    name = rs.file_name(u)
    audio, rate = soundfile.read(tmp_path / f'{name}.wav', dtype='float32')
    assert rate == rs.SAMPLE_RATE
    labels = np.loadtxt(tmp_path / f'{name}.f0.csv', delimiter=',',
                        skiprows=1)
    voiced = labels[:, 1] > 0
    assert 0.15 < voiced.mean() < 0.8
    # The contour was moved to the drawn mean.
    mean = np.exp(np.mean(np.log(labels[voiced, 1])))
    assert abs(np.log(mean / u.mean_f0_hz)) < np.log(1.25)
    f0, _, _ = librosa.pyin(audio, fmin=40, fmax=700, sr=rate,
                            frame_length=1024, hop_length=160)
    est = np.interp(labels[:, 0], librosa.times_like(f0, sr=rate,
                                                     hop_length=160),
                    np.nan_to_num(f0, nan=0.0))
    both = voiced & (est > 0)
    cents = 1200 * np.abs(np.log2(est[both] / labels[both, 1]))
    agree += int(np.sum(cents < 50))
    labelled += int(both.sum())
  assert labelled > 300
  assert agree / labelled > 0.85
  assert (tmp_path / 'manifest.csv').read_text().count('\n') == 7
