"""audio_folder: any folder of recordings of one voice or instrument, labels optional."""

import tensorflow_datasets as tfds

from pitchfit.io import audio as audio_io
from pitchfit.io import labels
from tfds_builders import real_audio

LABEL_SUFFIX = labels.LABEL_SUFFIX
label_path_of = labels.label_path_of
read_f0_csv = labels.read_f0_csv


def find_tracks(folder):
  """Every audio file under `folder` (see audio_io.AUDIO_EXTENSIONS), sorted.

  The track id is the path relative to `folder`; the label file is used if it
  exists. Split group = the track id.
  """
  tracks = []
  for audio_path in audio_io.find_audio_files(folder):
    track_id = audio_path.relative_to(folder).as_posix()
    label = label_path_of(audio_path)
    tracks.append(real_audio.Track(track_id=track_id, audio_path=audio_path,
                                   group=track_id,
                                   label_path=label if label.is_file() else None))
  return tracks


def named_split(track):
  """'train'/'validation'/'test' if the track is in a folder of that name, else None."""
  top, *rest = track.track_id.split('/')
  return top if rest and top in real_audio.SPLITS else None


def split_fn_for(tracks):
  """Track -> split: its train/validation/test folder, else by `split_groups`."""
  hashed = real_audio.split_groups(t.group for t in tracks if named_split(t) is None)
  return lambda track: named_split(track) or hashed[track.group]


def read_track(track):
  """(16 kHz mono audio, F0Track or None); UserError if unusable."""
  labels = read_f0_csv(track.label_path) if track.label_path else None
  return real_audio.read_audio(track.audio_path), labels


class Builder(tfds.core.GeneratorBasedBuilder):
  """DatasetBuilder for a folder of the user's own recordings."""

  VERSION = tfds.core.Version('1.0.0')
  RELEASE_NOTES = {'1.0.0': 'Initial release.'}
  BUILDER_CONFIGS = real_audio.hop_configs()
  MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Put recordings of one voice or instrument in a folder (any depth; formats:
{', '.join(audio_io.AUDIO_EXTENSIONS)}; any sample rate; stereo is mixed to mono).
Optional f0 labels: <stem>{LABEL_SUFFIX} beside an audio file, with rows
`time_s,f0_hz` (header optional; 0 = unvoiced). Optional splits: files under
top-level train/, validation/ or test/ folders go to that split.
Then, with a separate --data_dir per recording folder:
  tfds build audio_folder --imports tfds_builders --manual_dir=<folder> --data_dir=<out>
"""

  def _info(self) -> tfds.core.DatasetInfo:
    return self.dataset_info_from_configs(features=real_audio.example_features())

  def _split_generators(self, dl_manager):
    folder = real_audio.manual_dir(dl_manager, self.name)
    tracks = real_audio.require_files(
        find_tracks(folder), folder, 'audio (' + ', '.join(audio_io.AUDIO_EXTENSIONS) + ')',
        self.name, self.MANUAL_DOWNLOAD_INSTRUCTIONS)
    return real_audio.split_generators(self, tracks, split_fn_for)

  def _generate_examples(self, tracks, split):
    return real_audio.generate_examples(tracks, read_track, self.builder_config.hop_s,
                                        self.skip_log, split)
