"""TFDS builders of pitchfit; `tfds build <name> --imports tfds_builders`."""

from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder
# Real audio (manual download; see docs/datasets.md).
from tfds_builders.audio_folder import audio_folder_dataset_builder
from tfds_builders.mdb_stem_synth import mdb_stem_synth_dataset_builder
from tfds_builders.mir1k import mir1k_dataset_builder
from tfds_builders.urmp import urmp_dataset_builder
