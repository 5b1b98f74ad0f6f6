"""audio_folder: a folder of your own recordings, f0 labels optional."""
