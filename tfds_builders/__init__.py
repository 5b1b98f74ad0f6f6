"""TFDS builders of pitchfit; `tfds build <name> --imports tfds_builders`."""

from tfds_builders.synthetic_notes import synthetic_notes_dataset_builder
