"""URMP: separated tracks (AuSep_*.wav) of 44 chamber pieces, with F0s_*.txt labels."""

import re

from absl import logging
import tensorflow_datasets as tfds

from pitchfit.errors import UserError
from tfds_builders import real_audio

HOMEPAGE = 'https://labsites.rochester.edu/air/projects/URMP.html'
# The DDSP Urmp provider's instrument keys (reference section 7).
INSTRUMENTS = ('vn', 'va', 'vc', 'db', 'fl', 'ob', 'cl', 'sax', 'bn', 'tpt', 'hn',
               'tbn', 'tba')
# AuSep_<track>_<instrument>_<NN>_<Piece>.wav, e.g. AuSep_2_vc_01_Jupiter.wav
AUSEP = re.compile(r'^AuSep_(\d+)_([A-Za-z]+)_(\d+)_(.+)\.wav$')


def read_f0s(path):
  """Reads an F0s_*.txt file: rows `time_s f0_hz` (tabs or spaces), 0 = unvoiced."""
  table = real_audio.load_label_table(path, 2)
  return real_audio.f0_track(table[:, 0], table[:, 1], path)


def find_tracks(folder):
  """Every AuSep_*.wav under `folder` (any depth) with its F0s_*.txt, sorted.

  Split group = the piece's title (`Jupiter`), not its number, so pieces that
  appear twice with different instruments (05/06 Entertainer) stay together.
  """
  tracks = []
  for audio_path in sorted(folder.rglob('AuSep_*.wav')):
    if any(p.startswith('.') or p == '__MACOSX' for p in audio_path.relative_to(folder).parts):
      continue
    match = AUSEP.match(audio_path.name)
    if not match:
      logging.warning('urmp: ignoring %s: not named AuSep_<k>_<inst>_<NN>_<Piece>.wav',
                      audio_path)
      continue
    _, instrument, number, title = match.groups()
    rest = audio_path.name[len('AuSep_'):-len('.wav')]
    tracks.append(real_audio.Track(
        track_id=audio_path.stem, audio_path=audio_path, group=title,
        label_path=audio_path.with_name(f'F0s_{rest}.txt'),
        metadata={'instrument': instrument, 'piece': f'{number}_{title}'}))
  return tracks


def read_track(track):
  """(16 kHz mono audio, F0Track) of one separated track; UserError if unusable."""
  if track.metadata['instrument'] not in INSTRUMENTS:
    raise UserError(f'{track.audio_path}: unknown instrument '
                    f'{track.metadata["instrument"]!r} (known: {", ".join(INSTRUMENTS)})')
  return real_audio.read_audio(track.audio_path), read_f0s(track.label_path)


class Builder(tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for URMP (Li et al., IEEE Trans. Multimedia 2018)."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = real_audio.hop_configs()
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Request and download the URMP dataset (URMP.zip, about 12.5 GB) from
{HOMEPAGE} and unzip it into the manual folder. The builder searches the
manual folder at any depth for the piece folders, e.g.
  <manual_dir>/URMP/Dataset/01_Jupiter_vn_vc/AuSep_1_vn_01_Jupiter.wav
  <manual_dir>/URMP/Dataset/01_Jupiter_vn_vc/F0s_1_vn_01_Jupiter.txt
and reads only the separated tracks (AuSep_*.wav) and their pitch files
(F0s_*.txt); mixes, scores, notes and videos are not needed.
Then: tfds build urmp --imports tfds_builders --manual_dir=<manual_dir>
"""

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(
        features=real_audio.example_features(
            instrument=tfds.features.ClassLabel(
                names=INSTRUMENTS, doc='URMP instrument abbreviation of the track.'),
            piece=tfds.features.Text(doc='Piece number and title, e.g. 01_Jupiter.')),
        homepage=HOMEPAGE)

  def _split_generators(self, dl_manager):
    folder = real_audio.manual_dir(dl_manager, self.name)
    tracks = real_audio.require_files(find_tracks(folder), folder, '**/AuSep_*.wav',
                                      self.name, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    return real_audio.split_generators(self, tracks)

  def _generate_examples(self, tracks, split):
    return real_audio.generate_examples(tracks, read_track, self.builder_config.hop_s,
                                        self.skip_log, split)
